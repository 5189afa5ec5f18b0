import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CampaignsModule } from './campaigns/campaigns.module.js';
import { CardsModule } from './cards/cards.module.js';
import { ConsoleActionsModule } from './console/actions/console-actions.module.js';
import { ConsoleModule } from './console/console.module.js';
import { AppConfig } from './config/app-config.js';
import { EmissionModule } from './emission/emission.module.js';
import { EventsModule } from './events/events.module.js';
import { OppositionModule } from './opposition/opposition.module.js';
import { PartnersModule } from './partners/partners.module.js';
import { PhotoModule } from './photo/photo.module.js';
import { AuthGuard } from './platform/auth/auth.guard.js';
import { ProblemFilter } from './platform/errors/problem.filter.js';
import { PlatformModule } from './platform/platform.module.js';
import { RegimesModule } from './regimes/regimes.module.js';
import { RegisterModule } from './register/register.module.js';
import { TakeoverModule } from './takeover/takeover.module.js';
import { ReconciliationModule } from './reconciliation/reconciliation.module.js';
import { UpdateModule } from './update/update.module.js';
import { InsightModule } from './insight/insight.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(config, databaseUrl),
        RegimesModule,
        PartnersModule,
        RegisterModule,
        CardsModule,
        EventsModule,
        EmissionModule,
        PhotoModule,
        OppositionModule,
        UpdateModule,
        TakeoverModule,
        CampaignsModule,
        ReconciliationModule,
        InsightModule,
        ConsoleModule,
        ConsoleActionsModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
    };
  }
}
