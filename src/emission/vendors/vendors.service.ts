import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { createHash, createPublicKey } from 'node:crypto';
import ssh2, { type ParsedKey } from 'ssh2';
import type { EntityManager } from 'typeorm';
import { Transactions } from '../../platform/database/transactions.js';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import type { Actor } from '../../platform/auth/actor.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import { PlatformErrors } from '../../platform/errors/platform.errors.js';
import { RegimesErrors } from '../../regimes/regimes.errors.js';
import { PartnersErrors } from '../../partners/partners.errors.js';
import { EmissionErrors } from '../emission.errors.js';
import { JobName } from '../../platform/jobs/job-catalogue.js';
import { JobsService } from '../../platform/jobs/jobs.service.js';
import { SftpFolders } from '../../platform/sftp/sftp-folders.js';
import type { CreateVendorDto, SshKeyView, UpdateVendorDto, VendorView } from './dto/vendor.dto.js';
import { VENDOR_FOLDERS } from './vendor-folders.js';
import { isUsableAgeRecipient } from './vendor-age.js';
import { type SshKeyRow, VendorRepository, type VendorRow } from './vendor.repository.js';

const ACCEPTED_KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
];
const MIN_RSA_BITS = 2048;

const vendorNotFound = EmissionErrors.VENDOR_NOT_FOUND;
const toKeyView = (k: SshKeyRow): SshKeyView => ({
  id: k.id,
  algorithm: k.algorithm,
  fingerprint: k.fingerprint,
  createdAt: k.createdAt,
  revokedAt: k.revokedAt,
});

export type { VendorRow } from './vendor.repository.js';

/** OpenSSH's own fingerprint: SHA256 of the key blob, base64 without padding. */
export function sshFingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/**
 * Personalisation vendors (operators manage them): SFTP login, routing (regimes served, default vendor) and
 * SSH public keys. Routing rule: a card goes to the vendor whose regimes hold the regime of the card's managing
 * organisme, else to the default vendor; with neither, the card waits as ordered (see docs/formats).
 */
@Injectable()
export class VendorsService {
  constructor(
    private readonly tx: Transactions,
    private readonly repo: VendorRepository,
    private readonly audit: AuditService,
    private readonly folders: SftpFolders,
    private readonly jobs: JobsService,
  ) {}

  async create(actor: Actor, dto: CreateVendorDto): Promise<VendorView> {
    const regimeCodes = [...(dto.regimeCodes ?? [])].sort();
    await this.tx.run(async (em) => {
      await this.repo.lockRouting(em);
      const partner = await this.repo.partner(em, dto.partnerId);
      if (!partner) throw PartnersErrors.PARTNER_NOT_FOUND();
      if (partner.kind !== PartnerKind.PersonalisationVendor) {
        throw EmissionErrors.VENDOR_PARTNER_KIND(partner.kind);
      }
      if (await this.repo.find(dto.partnerId, em)) throw EmissionErrors.VENDOR_EXISTS();
      if (await this.repo.loginTaken(em, dto.login)) throw EmissionErrors.VENDOR_LOGIN_TAKEN();
      await this.checkRouting(em, dto.partnerId, { isDefault: dto.isDefault ?? false, regimeCodes });
      await this.repo.insert(em, {
        partnerId: dto.partnerId,
        login: dto.login,
        isDefault: dto.isDefault ?? false,
        regimeCodes,
      });
      await this.audit.record(em, actor, {
        action: 'vendor.create',
        entityType: 'vendor',
        entityId: dto.partnerId,
        details: { login: dto.login, isDefault: dto.isDefault ?? false, regimeCodes },
      });
    });
    // The folders exist before the vendor first logs in (and before its first file is published).
    await this.folders.ensure(dto.login, Object.keys(VENDOR_FOLDERS));
    return this.get(dto.partnerId);
  }

  async update(actor: Actor, partnerId: string, dto: UpdateVendorDto): Promise<VendorView> {
    if (!isUUID(partnerId)) throw vendorNotFound();
    const regimeCodes = dto.regimeCodes ? [...dto.regimeCodes].sort() : undefined;
    await this.tx.run(async (em) => {
      await this.repo.lockRouting(em);
      const current = await this.repo.find(partnerId, em);
      if (!current) throw vendorNotFound();
      await this.checkRouting(em, partnerId, {
        isDefault: dto.isDefault ?? current.isDefault,
        regimeCodes: regimeCodes ?? current.regimeCodes,
      });
      await this.repo.update(em, partnerId, { isDefault: dto.isDefault, regimeCodes });
      await this.audit.record(em, actor, {
        action: 'vendor.update',
        entityType: 'vendor',
        entityId: partnerId,
        details: { isDefault: dto.isDefault ?? null, regimeCodes: regimeCodes ?? null },
      });
    });
    return this.get(partnerId);
  }

  async list(): Promise<VendorView[]> {
    const vendors = await this.repo.list();
    const keys = await this.repo.keys(vendors.map((v) => v.partnerId));
    return vendors.map((v) => this.view(v, keys));
  }

  /** Every vendor, active or not (the jobs that walk the vendors' SFTP folders). */
  allVendors(): Promise<VendorRow[]> {
    return this.repo.list();
  }

  /** The active vendors' ids and logins (inbox scans). */
  activeVendors(): Promise<Array<{ partnerId: string; login: string }>> {
    return this.repo.activeVendors();
  }

  /** An active vendor's SFTP account (login and live keys), null when there is none. */
  sftpAccount(login: string): Promise<{ partnerId: string; login: string; publicKeys: string[] } | null> {
    return this.repo.sftpAccount(login);
  }

  /**
   * Registers an SFTP key for any partner in the caller's transaction (sftp_public_key is written here only: the
   * opposition module's concentrators use it too); 409 SSH_KEY_EXISTS when the fingerprint is already registered,
   * to anyone.
   */
  async insertKeyIn(em: EntityManager, partnerId: string, k: SshKeyLine): Promise<SshKeyRow> {
    const row = await this.repo.insertKey(em, { partnerId, ...k });
    if (!row) throw PlatformErrors.SSH_KEY_EXISTS(k.fingerprint);
    return row;
  }

  async get(partnerId: string): Promise<VendorView> {
    const v = isUUID(partnerId) ? await this.repo.find(partnerId) : null;
    if (!v) throw vendorNotFound();
    return this.view(v, await this.repo.keys([partnerId]));
  }

  /** Registers an OpenSSH public key (the server checks the client's signature with it at every log-in). */
  async addKey(actor: Actor, partnerId: string, line: string): Promise<SshKeyView> {
    if (!isUUID(partnerId)) throw vendorNotFound();
    const k = sshKeyLine(line);
    return this.tx.run(async (em) => {
      if (!(await this.repo.find(partnerId, em))) throw vendorNotFound();
      const row = await this.insertKeyIn(em, partnerId, k);
      await this.audit.record(em, actor, {
        action: 'vendor.ssh_key.add',
        entityType: 'vendor',
        entityId: partnerId,
        details: { keyId: row.id, algorithm: k.algorithm, fingerprint: k.fingerprint },
      });
      return toKeyView(row);
    });
  }

  /** Revokes a key at once: the next log-in with it fails. Revoking twice is harmless. */
  async revokeKey(actor: Actor, partnerId: string, keyId: string): Promise<SshKeyView> {
    if (!isUUID(partnerId) || !isUUID(keyId)) throw EmissionErrors.SSH_KEY_NOT_FOUND();
    return this.tx.run(async (em) => {
      const row = await this.repo.revokeKey(em, partnerId, keyId);
      if (!row) throw EmissionErrors.SSH_KEY_NOT_FOUND();
      await this.audit.record(em, actor, {
        action: 'vendor.ssh_key.revoke',
        entityType: 'vendor',
        entityId: partnerId,
        details: { keyId, fingerprint: row.fingerprint },
      });
      return toKeyView(row);
    });
  }

  /**
   * Registers (or replaces) the age recipient the vendor's personalisation files are encrypted to. Until it has one,
   * a vendor gets no batch: files are never written in clear. Batches allocated before it had one (at the upgrade to
   * perso/2) are written now, in jobs queued with the change.
   */
  async setAgeRecipient(actor: Actor, partnerId: string, recipient: string): Promise<VendorView> {
    if (!isUUID(partnerId)) throw vendorNotFound();
    if (!(await isUsableAgeRecipient(recipient))) {
      throw EmissionErrors.AGE_RECIPIENT_INVALID();
    }
    await this.tx.run(async (em) => {
      const current = await this.repo.find(partnerId, em);
      if (!current) throw vendorNotFound();
      if (current.ageRecipient === recipient) return;
      if (!(await this.repo.setAgeRecipient(em, partnerId, recipient))) {
        throw EmissionErrors.AGE_RECIPIENT_TAKEN();
      }
      const waiting = await this.repo.allocatedBatchIds(em, partnerId);
      for (const batchId of waiting) await this.jobs.send(em, JobName.EmissionWriteBatchFile, { batchId });
      await this.audit.record(em, actor, {
        action: 'vendor.age_recipient.set',
        entityType: 'vendor',
        entityId: partnerId,
        details: { recipient, previous: current.ageRecipient, batchesToWrite: waiting.length },
      });
    });
    return this.get(partnerId);
  }

  /** One default vendor; one vendor per regime; known regimes only. */
  private async checkRouting(
    em: EntityManager,
    partnerId: string,
    next: { isDefault: boolean; regimeCodes: string[] },
  ): Promise<void> {
    if (next.isDefault) {
      const other = await this.repo.otherDefault(em, partnerId);
      if (other) throw EmissionErrors.VENDOR_DEFAULT_TAKEN(other);
    }
    const unknown = await this.repo.unknownRegimes(em, next.regimeCodes);
    if (unknown.length) throw RegimesErrors.REGIME_UNKNOWN(unknown);
    const taken = await this.repo.regimesTakenByOthers(em, partnerId, next.regimeCodes);
    if (taken.length) throw EmissionErrors.VENDOR_REGIME_TAKEN(taken);
  }

  private view(v: VendorRow, keys: SshKeyRow[]): VendorView {
    return {
      partnerId: v.partnerId,
      name: v.name,
      active: v.active,
      login: v.login,
      isDefault: v.isDefault,
      regimeCodes: v.regimeCodes,
      createdAt: v.createdAt,
      sshKeys: keys.filter((k) => k.partnerId === v.partnerId).map(toKeyView),
      ageRecipient: v.ageRecipient,
      ageRecipientSetAt: v.ageRecipientSetAt,
    };
  }
}

/** An OpenSSH public key as stored: its type, the key without the line's comment (it often names a person or a host). */
export interface SshKeyLine {
  algorithm: string;
  publicKey: string;
  fingerprint: string;
}

/** What registering a key line can answer beside its owner's not-found (for the routes' @Answers). */
export const SSH_KEY_LINE_ERRORS = [
  PlatformErrors.SSH_KEY_EXISTS,
  PlatformErrors.SSH_KEY_INVALID,
  PlatformErrors.SSH_KEY_TOO_WEAK,
] as const;

/** One OpenSSH public key line, checked (parseSshPublicKey), as it is stored. */
export function sshKeyLine(line: string): SshKeyLine {
  const key = parseSshPublicKey(line);
  const blob = key.getPublicSSH();
  return {
    algorithm: key.type,
    publicKey: `${key.type} ${blob.toString('base64')}`,
    fingerprint: sshFingerprint(blob),
  };
}

/** One OpenSSH public key line → the parsed key; 422 SSH_KEY_INVALID / SSH_KEY_TOO_WEAK otherwise. */
export function parseSshPublicKey(line: string): ParsedKey {
  const text = line.trim();
  if (!/^[a-z0-9@.-]+ [A-Za-z0-9+/=]+( [^\r\n]*)?$/.test(text)) throw PlatformErrors.SSH_KEY_INVALID('format');
  const parsed = ssh2.utils.parseKey(text);
  const key = parsed instanceof Error ? null : Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key.isPrivateKey()) throw PlatformErrors.SSH_KEY_INVALID('unreadable');
  if (!ACCEPTED_KEY_TYPES.includes(key.type))
    throw PlatformErrors.SSH_KEY_INVALID({ type: key.type, accepted: ACCEPTED_KEY_TYPES });
  if (key.type === 'ssh-rsa') {
    const bits = createPublicKey(key.getPublicPEM()).asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw PlatformErrors.SSH_KEY_TOO_WEAK(MIN_RSA_BITS, bits);
  }
  return key;
}
