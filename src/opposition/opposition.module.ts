import { OppositionRepository } from './opposition.repository.js';
import { Module } from '@nestjs/common';
import { CardsModule } from '../cards/cards.module.js';
import { VendorsModule } from '../emission/vendors/vendors.module.js';
import { SftpModule } from '../platform/sftp/sftp.module.js';
import { ConcentratorSftpAccounts } from './concentrator-sftp-accounts.js';
import {
  CardOppositionController,
  ConcentratorsController,
  OppositionListsController,
  SigningKeyRotationController,
} from './opposition.controller.js';
import { OppositionJobs } from './opposition.jobs.js';
import { OppositionListsService } from './opposition-lists.service.js';
import { OppositionService } from './opposition.service.js';

/** Opposition declarations and the incremental (LOI) and full (LOE) opposition lists. */
@Module({
  imports: [CardsModule, SftpModule, VendorsModule],
  controllers: [
    CardOppositionController,
    OppositionListsController,
    SigningKeyRotationController,
    ConcentratorsController,
  ],
  providers: [
    OppositionRepository,
    OppositionJobs,
    OppositionService,
    OppositionListsService,
    ConcentratorSftpAccounts,
  ],
  exports: [OppositionService, OppositionListsService],
})
export class OppositionModule {}
