import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  OneToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { Partner } from '../../partners/partner.entity.js';

/**
 * A card-personalisation vendor's settings (the partner has kind personalisation_vendor).
 * Routing rule: a card goes to the vendor whose `regimeCodes` holds the regime of the card's managing
 * organisme, else to the default vendor (at most one).
 */
@Entity('vendor_profile')
@Index('vendor_profile_one_default', ['isDefault'], { unique: true, where: 'is_default' })
@Index('vendor_profile_age_recipient_once', ['ageRecipient'], { unique: true })
@Check('vendor_profile_age_recipient_form', `age_recipient ~ '^age1[02-9ac-hj-np-z]{58}$'`)
export class VendorProfile {
  @PrimaryColumn({ type: 'uuid' })
  partnerId: string;

  @OneToOne(() => Partner, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'partner_id' })
  partner?: Partner;

  /** SFTP user name. */
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 32 })
  login: string;

  @Column({ type: 'boolean', default: false })
  isDefault: boolean;

  @Column({ type: 'char', length: 2, array: true, default: () => `'{}'` })
  regimeCodes: string[];

  /**
   * The vendor's age X25519 recipient (`age1…`, public): its personalisation files are encrypted to it (perso/2).
   * Null: the vendor gets no batch, its cards wait. One vendor per recipient.
   */
  @Column({ type: 'varchar', length: 62, nullable: true })
  ageRecipient: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  ageRecipientSetAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

/** An SSH public key a partner logs in to the SFTP server with. */
@Entity('sftp_public_key')
export class SftpPublicKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column({ type: 'uuid' })
  partnerId: string;

  @ManyToOne(() => Partner, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'partner_id' })
  partner?: Partner;

  @Column({ type: 'varchar', length: 32 })
  algorithm: string;

  /** OpenSSH one-line form. */
  @Column({ type: 'text' })
  publicKey: string;

  /** SHA256:… fingerprint, unique: one key belongs to one partner. */
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 64 })
  fingerprint: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
