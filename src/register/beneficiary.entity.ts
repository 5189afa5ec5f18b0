import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Exclusion,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';
import { Organisme } from '../regimes/regime.entity.js';

/** A person of the inter-regime register, keyed by NIR (13 characters + 2-digit key). */
@Entity('beneficiary')
@Check('beneficiary_address_lines', `cardinality(address_lines) BETWEEN 1 AND 6`)
@Check('beneficiary_birth_rank', `birth_rank BETWEEN 1 AND 9`)
@Check('beneficiary_nir_temporary', `nir IS NOT NULL OR NOT nir_temporary`)
// Reconciliation reads the deceased among millions of living insured without a scan of the register.
@Index('beneficiary_died', ['id'], { where: 'died_on IS NOT NULL' })
@Index('beneficiary_by_birth_date', ['birthDate'])
export class Beneficiary {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Null only for a dependant whose NIR is not known yet (a newborn): no affiliation, no card (the database's rule). */
  @Index({ unique: true })
  @Column({ type: 'char', length: 15, nullable: true })
  nir: string | null;

  @Column({ type: 'boolean', default: false })
  nirTemporary: boolean;

  @Column({ type: 'varchar', length: 45 })
  firstName: string;

  @Column({ type: 'varchar', length: 63 })
  birthName: string;

  @Column({ type: 'varchar', length: 42, nullable: true })
  usageName: string | null;

  @Column({ type: 'date' })
  birthDate: string;

  @Column({ type: 'smallint', default: 1 })
  birthRank: number;

  /** AFNOR XP Z10-011 style: up to 6 lines of 38 characters. */
  @Column({ type: 'varchar', length: 38, array: true })
  addressLines: string[];

  /** The date of death, when the register has learned it. */
  @Column({ type: 'date', nullable: true })
  diedOn: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @VersionColumn({ default: 1 })
  version: number;
}

/** Which organisme a beneficiary belongs to, over time. Periods never overlap (enforced by an exclusion constraint). */
@Entity('affiliation')
@Exclusion(
  'affiliation_no_overlap',
  `USING gist (beneficiary_id WITH =, daterange(valid_from, valid_to, '[)') WITH &&)`,
)
@Check('affiliation_period', `valid_to IS NULL OR valid_to > valid_from`)
@Index(['organismeCode', 'beneficiaryId'])
// A holder's affiliations, index-only for reconciliation's merge in holder order: (beneficiary_id, organisme_code)
// INCLUDE (valid_from, valid_to). TypeORM cannot describe INCLUDE: migration 1795545000000 creates it.
@Index('affiliation_by_holder', { synchronize: false })
export class Affiliation {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ type: 'uuid' })
  beneficiaryId: string;

  @ManyToOne(() => Beneficiary, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'beneficiary_id' })
  beneficiary?: Beneficiary;

  @Column({ type: 'char', length: 9 })
  organismeCode: string;

  @ManyToOne(() => Organisme, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'organisme_code' })
  organisme?: Organisme;

  @Column({ type: 'date' })
  validFrom: string;

  @Column({ type: 'date', nullable: true })
  validTo: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

/**
 * A NIR a person was known by before a NIR change (temporary replaced by definitive, or a correction). Written by
 * the database whoever changes `beneficiary.nir` (trigger `beneficiary_nir_history_record`); it links a card of a
 * taken-over base made under the old NIR to the person.
 */
@Entity('beneficiary_nir_history')
export class BeneficiaryNirHistory {
  @PrimaryColumn({ type: 'char', length: 15, primaryKeyConstraintName: 'PK_beneficiary_nir_history' })
  nir: string;

  @Index('beneficiary_nir_history_beneficiary')
  @Column({ type: 'uuid' })
  beneficiaryId: string;

  @ManyToOne(() => Beneficiary, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'beneficiary_id', foreignKeyConstraintName: 'beneficiary_nir_history_beneficiary_fk' })
  beneficiary?: Beneficiary;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  replacedAt: Date;
}
