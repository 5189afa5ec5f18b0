import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { PipelineModule } from '../emission/pipeline/pipeline.module.js';
import { RequestsModule } from '../emission/requests/requests.module.js';
import { InsightModule } from '../insight/insight.module.js';
import { PartnersModule } from '../partners/partners.module.js';
import { AgentsController } from './agents/agents.controller.js';
import { AgentsService } from './agents/agents.service.js';
import { ConsoleAgentRepository } from './agents/console-agent.repository.js';
import { ConsoleAuthController } from './auth/auth.controller.js';
import { ConsoleAuthService } from './auth/console-auth.service.js';
import { ConsoleSessionRepository } from './auth/console-session.repository.js';
import { TotpSealer } from './auth/totp-sealer.js';
import { DashboardController } from './dashboard/dashboard.controller.js';
import { InsuredController } from './insured/insured.controller.js';
import { ConsoleOperationsModule } from './operations/console-operations.module.js';
import { SafeHtmlInterceptor } from './ui/console-request.js';

/** The console: server-rendered DSFR pages for operators' and funds' agents, under /console. */
@Module({
  imports: [PartnersModule, InsightModule, PipelineModule, RequestsModule, ConsoleOperationsModule],
  controllers: [ConsoleAuthController, DashboardController, InsuredController, AgentsController],
  providers: [
    ConsoleAgentRepository,
    ConsoleSessionRepository,
    ConsoleAuthService,
    AgentsService,
    TotpSealer,
    { provide: APP_INTERCEPTOR, useClass: SafeHtmlInterceptor },
  ],
  exports: [ConsoleAuthService, AgentsService],
})
export class ConsoleModule {}
