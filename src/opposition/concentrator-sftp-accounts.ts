import { OppositionRepository } from './opposition.repository.js';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { copyFile, link, lstat, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transactions } from '../platform/database/transactions.js';
import { sshKeyLine, VendorsService } from '../emission/vendors/vendors.service.js';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { OppositionErrors } from './opposition.errors.js';
import type { SftpAccount, SftpAccountProvider } from '../platform/sftp/sftp-account.js';
import { SftpFolderAccess } from '../platform/sftp/sftp-folder-access.enum.js';
import { SftpFolders } from '../platform/sftp/sftp-folders.js';
import { SftpServer } from '../platform/sftp/sftp-server.js';
import { OppositionListsService } from './opposition-lists.service.js';

/** The one folder of a concentrator: every list, both formats, read-only. */
export const CONCENTRATOR_FOLDER = 'lists';
const FOLDERS = { [CONCENTRATOR_FOLDER]: SftpFolderAccess.Read };
const LOGIN = /^conc-([0-9a-f]{20})$/;

/** A concentrator's SFTP login, derived from its partner id (no table of its own). */
export const concentratorLogin = (partnerId: string) => `conc-${partnerId.replace(/-/g, '').slice(0, 20)}`;

const concentratorNotFound = OppositionErrors.CONCENTRATOR_NOT_FOUND;

/**
 * Concentrators (pharmacy_software partners with an SSH key) as SFTP users: `/lists` holds every opposition list
 * file, read-only. The folder is brought up to date when the concentrator logs in (hard links to the stored files).
 */
@Injectable()
export class ConcentratorSftpAccounts implements SftpAccountProvider, OnModuleInit {
  constructor(
    private readonly server: SftpServer,
    private readonly folders: SftpFolders,
    private readonly lists: OppositionListsService,
    private readonly tx: Transactions,
    private readonly repo: OppositionRepository,
    private readonly keys: VendorsService,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.server.register(this);
  }

  async findAccount(login: string): Promise<SftpAccount | null> {
    const m = LOGIN.exec(login);
    if (!m) return null;
    const rows = await this.repo.concentratorByLoginPrefix(m[1]);
    if (rows.length !== 1 || rows[0].publicKeys.length === 0) return null;
    await this.sync(login);
    return {
      login,
      partnerId: rows[0].partnerId,
      partnerKind: PartnerKind.PharmacySoftware,
      publicKeys: rows[0].publicKeys,
      folders: FOLDERS,
    };
  }

  async fileReceived(): Promise<void> {
    /* no write folder */
  }

  /** Puts every list file missing from the concentrator's folder there (hard link, else a copy), atomically. */
  async sync(login: string): Promise<void> {
    await this.folders.ensure(login, [CONCENTRATOR_FOLDER]);
    const have = new Set((await this.folders.list(login, CONCENTRATOR_FOLDER)).map((f) => f.name));
    const files = await this.repo.listFiles();
    for (const name of files.flatMap((f) => [f.textFile, f.compactFile])) {
      if (have.has(name)) continue;
      const src = path.join(this.lists.dir, name);
      try {
        await lstat(src);
      } catch {
        continue;
      }
      const staged = await this.folders.stagingPath(login, name);
      try {
        await link(src, staged).catch(() => copyFile(src, staged));
        await this.folders.publishStaged(login, CONCENTRATOR_FOLDER, name, staged);
      } finally {
        await rm(staged, { force: true });
      }
    }
  }

  /** Registers an OpenSSH public key for a concentrator; answers its SFTP login. */
  async addKey(actor: Actor, partnerId: string, line: string) {
    if (!isUUID(partnerId)) throw concentratorNotFound();
    const k = sshKeyLine(line);
    return this.tx.run(async (em) => {
      if (!(await this.repo.isActiveConcentrator(em, partnerId))) throw concentratorNotFound();
      const row = await this.keys.insertKeyIn(em, partnerId, k);
      await this.audit.record(em, actor, {
        action: 'opposition.concentrator.ssh_key.add',
        entityType: 'partner',
        entityId: partnerId,
        details: { keyId: row.id, algorithm: k.algorithm, fingerprint: k.fingerprint },
      });
      return {
        id: row.id,
        algorithm: k.algorithm,
        fingerprint: k.fingerprint,
        createdAt: row.createdAt,
        login: concentratorLogin(partnerId),
        folder: `/${CONCENTRATOR_FOLDER}`,
      };
    });
  }
}
