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
import { FamiliesController } from './families.controller.js';
import { FamiliesService } from './families.service.js';
import { AttachmentImportsController } from './attachment-imports.controller.js';
import { AttachmentImportsService } from './attachment-imports.service.js';
import { DependantCardsService } from './dependant-cards.service.js';

/** The inter-regime register: beneficiaries, identity traits, addresses and affiliations; bulk imports by funds. */
@Module({
  controllers: [BulkImportsController, BeneficiariesController, FamiliesController, AttachmentImportsController],
  providers: [
    RegisterClock,
    BeneficiaryRepository,
    AttachmentRepository,
    BeneficiariesService,
    BulkImportRepository,
    BulkImportsService,
    RegisterJobs,
    FamiliesService,
    AttachmentImportsService,
    DependantCardsService,
  ],
  exports: [BeneficiariesService, RegisterClock, FamiliesService, DependantCardsService],
})
export class RegisterModule {}
