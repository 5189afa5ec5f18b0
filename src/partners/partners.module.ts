import { Module } from '@nestjs/common';
import { RegimesModule } from '../regimes/regimes.module.js';
import { ApiKeyVerifier } from './api-key-verifier.js';
import { KeySuspensionController, KeySuspensionsListController } from './key-suspensions.controller.js';
import { KeySuspensionRepository } from './key-suspension.repository.js';
import { KeySuspensionsService } from './key-suspensions.service.js';
import { MeController, PartnersController } from './partners.controller.js';
import { PartnerRepository } from './partner.repository.js';
import { PartnersService } from './partners.service.js';

@Module({
  imports: [RegimesModule],
  controllers: [PartnersController, MeController, KeySuspensionController, KeySuspensionsListController],
  providers: [PartnerRepository, PartnersService, ApiKeyVerifier, KeySuspensionRepository, KeySuspensionsService],
  exports: [PartnersService, ApiKeyVerifier, KeySuspensionsService],
})
export class PartnersModule {}
