import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { PartnersModule } from '../partners/partners.module.js';
import { AgentsController } from './agents/agents.controller.js';
import { AgentsService } from './agents/agents.service.js';
import { ConsoleAgentRepository } from './agents/console-agent.repository.js';
import { ConsoleAuthController } from './auth/auth.controller.js';
import { ConsoleAuthService } from './auth/console-auth.service.js';
import { ConsoleSessionRepository } from './auth/console-session.repository.js';
import { HomeController } from './home/home.controller.js';
import { ConsoleOperationsModule } from './operations/console-operations.module.js';
import { SafeHtmlInterceptor } from './ui/console-request.js';

/** The console: server-rendered DSFR pages for operators' and funds' agents, under /console. */
@Module({
  imports: [PartnersModule, ConsoleOperationsModule],
  controllers: [ConsoleAuthController, HomeController, AgentsController],
  providers: [
    ConsoleAgentRepository,
    ConsoleSessionRepository,
    ConsoleAuthService,
    AgentsService,
    { provide: APP_INTERCEPTOR, useClass: SafeHtmlInterceptor },
  ],
  exports: [ConsoleAuthService, AgentsService],
})
export class ConsoleModule {}
