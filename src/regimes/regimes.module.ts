import { Module, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { systemActor } from '../platform/auth/actor.js';
import { RegimesController } from './regimes.controller.js';
import { RegimesRepository } from './regimes.repository.js';
import { RegimesService } from './regimes.service.js';

@Module({
  controllers: [RegimesController],
  providers: [RegimesRepository, RegimesService],
  exports: [RegimesService],
})
export class RegimesModule implements OnApplicationBootstrap {
  constructor(
    private readonly service: RegimesService,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.seedReferenceData) await this.service.seedBundled(systemActor());
  }
}
