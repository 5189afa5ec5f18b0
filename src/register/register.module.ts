import { Module } from '@nestjs/common';
import { AttachmentRepository } from './attachment.repository.js';
import { BeneficiariesController } from './beneficiaries.controller.js';
import { BeneficiariesService } from './beneficiaries.service.js';
import { BeneficiaryRepository } from './beneficiary.repository.js';
import { BulkImportRepository } from './bulk-import.repository.js';
import { BulkImportsController } from './bulk-imports.controller.js';
import { BulkImportsService } from './bulk-imports.service.js';
import { RegisterClock } from './register-clock.js';
import { RegisterJobs } from './register.jobs.js';
import { DependantCardsService } from './dependant-cards.service.js';

/** The inter-regime register: beneficiaries, identity traits, addresses and affiliations; bulk imports by funds. */
@Module({
  controllers: [BulkImportsController, BeneficiariesController],
  providers: [
    RegisterClock,
    BeneficiaryRepository,
    AttachmentRepository,
    BeneficiariesService,
    BulkImportRepository,
    BulkImportsService,
    RegisterJobs,
    DependantCardsService,
  ],
  exports: [BeneficiariesService, RegisterClock, DependantCardsService],
})
export class RegisterModule {}
