import { Injectable, OnModuleInit } from '@nestjs/common';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import type { SftpAccount, SftpAccountProvider } from '../../platform/sftp/sftp-account.js';
import { failpoint } from '../../platform/failpoint.js';
import { SftpServer } from '../../platform/sftp/sftp-server.js';
import { VENDOR_FOLDERS, VENDOR_INBOX } from '../vendors/vendor-folders.js';
import { VendorsService } from '../vendors/vendors.service.js';
import { ReturnIntakeService } from './return-intake.service.js';

/** Vendors as SFTP users: active vendor partners, their live keys, `/outbox` (read) and `/inbox` (write). */
@Injectable()
export class VendorSftpAccounts implements SftpAccountProvider, OnModuleInit {
  constructor(
    private readonly server: SftpServer,
    private readonly vendors: VendorsService,
    private readonly intake: ReturnIntakeService,
  ) {}

  onModuleInit(): void {
    this.server.register(this);
  }

  async findAccount(login: string): Promise<SftpAccount | null> {
    const v = await this.vendors.sftpAccount(login);
    return v
      ? {
          login: v.login,
          partnerId: v.partnerId,
          partnerKind: PartnerKind.PersonalisationVendor,
          publicKeys: v.publicKeys,
          folders: VENDOR_FOLDERS,
        }
      : null;
  }

  async fileReceived(account: SftpAccount, folder: string, name: string): Promise<void> {
    if (folder !== VENDOR_INBOX) return;
    failpoint('emission.return-file-renamed');
    await this.intake.register({ partnerId: account.partnerId, login: account.login }, name);
  }
}
