import { DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.js';
import { AuditModule } from './audit/audit.module.js';
import { SigningKeysController } from './crypto/signing-keys.controller.js';
import { SigningService } from './crypto/signing.service.js';
import { RoutePolicyCheck } from './auth/route-policy.check.js';
import { DATABASE_URL } from './database/database.tokens.js';
import { dataSourceOptions } from './database/data-source-options.js';
import { Transactions } from './database/transactions.js';
import { HealthController } from './health/health.controller.js';
import { JobScheduler } from './jobs/job-scheduler.service.js';
import { JobsService } from './jobs/jobs.service.js';
import { BusinessMetrics } from './metrics/business-metrics.js';
import { MetricsService } from './metrics/metrics.service.js';

/** Shared platform: configuration, database, jobs, audit, metrics, health. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        DiscoveryModule,
        // The crons' registry (JobScheduler registers every one of them).
        ScheduleModule.forRoot(),
        TypeOrmModule.forRoot({ ...dataSourceOptions(databaseUrl, config.dbPoolSize), migrationsRun: false }),
        AuditModule,
      ],
      controllers: [HealthController, SigningKeysController],
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: DATABASE_URL, useValue: databaseUrl },
        JobsService,
        JobScheduler,
        MetricsService,
        BusinessMetrics,
        RoutePolicyCheck,
        SigningService,
        Transactions,
      ],
      exports: [AppConfig, DATABASE_URL, JobsService, MetricsService, BusinessMetrics, SigningService, Transactions],
    };
  }
}
