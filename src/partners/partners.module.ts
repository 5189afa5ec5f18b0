import { Module } from '@nestjs/common';
import { RegimesModule } from '../regimes/regimes.module.js';
import { ApiKeyVerifier } from './api-key-verifier.js';
import { MeController, PartnersController } from './partners.controller.js';
import { PartnerRepository } from './partner.repository.js';
import { PartnersService } from './partners.service.js';

@Module({
  imports: [RegimesModule],
  controllers: [PartnersController, MeController],
  providers: [PartnerRepository, PartnersService, ApiKeyVerifier],
  exports: [PartnersService, ApiKeyVerifier, PartnerRepository],
})
export class PartnersModule {}
