import { Module } from '@nestjs/common';
import { SftpModule } from '../../platform/sftp/sftp.module.js';
import { VendorRepository } from './vendor.repository.js';
import { VendorsController } from './vendors.controller.js';
import { VendorsService } from './vendors.service.js';

/** Personalisation vendors: routing of cards to vendors, SFTP logins and keys. */
@Module({
  imports: [SftpModule],
  controllers: [VendorsController],
  providers: [VendorRepository, VendorsService],
  exports: [VendorsService, SftpModule],
})
export class VendorsModule {}
