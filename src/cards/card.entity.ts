import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  VersionColumn,
} from 'typeorm';
import { PersonalisationBatch } from '../emission/personalisation/personalisation-batch.entity.js';
import { Organisme } from '../regimes/regime.entity.js';
import { Beneficiary } from '../register/beneficiary.entity.js';
import { CardOrigin, CardState, OppositionReason } from './card-state.enum.js';

/**
 * A card of the technical card database. The serial is unique forever (cards are never deleted);
 * at most one card per beneficiary is usable, `shipped` or `active` (partial unique index).
 */
@Entity('card')
// Imported cards awaiting reconciliation are outside it: the legacy base holds duplicates, reconciliation resolves them.
@Index('card_one_usable_per_beneficiary', ['beneficiaryId'], {
  unique: true,
  where: `state IN ('shipped', 'active') AND NOT awaiting_reconciliation`,
})
// Reconciliation reads the usable cards in holder order, index-only: (beneficiary_id) INCLUDE (organisme_code, id)
// WHERE state IN ('shipped', 'active'). TypeORM cannot describe INCLUDE: migration 1795545000000 creates it.
@Index('card_usable_by_holder', { synchronize: false })
// Operators' pipeline counts the cards still in the chain; a small partial index instead of a scan of every card.
@Index('card_in_chain_by_state', ['state'], {
  where: `state IN ('ordered', 'in_personalisation', 'shipped', 'returned_undeliverable')`,
})
@Check('card_serial_range', `serial > 0 AND serial < 1000000000000`)
@Check('card_serial_once_personalised', `serial IS NOT NULL OR state IN ('ordered', 'cancelled')`)
@Check('card_opposition_reason', `(state = 'opposed') = (opposition_reason IS NOT NULL)`)
@Check('card_generation', `generation IN (1, 2)`)
@Check('card_holder_known_unless_imported', `beneficiary_id IS NOT NULL OR origin = 'imported'`)
@Check('card_reconciliation_imported_only', `NOT awaiting_reconciliation OR origin = 'imported'`)
export class Card {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /**
   * 12 decimal digits at most; bigint in the database, a string in code. Allocated when the card enters a
   * personalisation batch (null while only ordered), never reused.
   */
  @Index({ unique: true })
  @Column({ type: 'bigint', nullable: true })
  serial: string | null;

  /** Null only for an imported card whose holder the register does not know (kept and flagged, never dropped). */
  @Index()
  @Column({ type: 'uuid', nullable: true })
  beneficiaryId: string | null;

  @ManyToOne(() => Beneficiary, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'beneficiary_id' })
  beneficiary?: Beneficiary;

  /** The organisme that manages the card. */
  @Index()
  @Column({ type: 'char', length: 9 })
  organismeCode: string;

  @ManyToOne(() => Organisme, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'organisme_code' })
  organisme?: Organisme;

  /** Version of the data written on the card's chip. */
  @Column({ type: 'integer', default: 0 })
  dataVersion: number;

  @Column({ type: 'enum', enum: CardState, enumName: 'card_state' })
  state: CardState;

  @Column({ type: 'enum', enum: OppositionReason, enumName: 'opposition_reason', nullable: true })
  oppositionReason: OppositionReason | null;

  /** The state a card held before opposition (to restore it if a declaration made in error is withdrawn). */
  @Column({ type: 'enum', enum: CardState, enumName: 'card_state', nullable: true })
  previousState: CardState | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  stateChangedAt: Date;

  /** The personalisation batch (file) the card was sent to the vendor in. */
  @Index()
  @Column({ type: 'uuid', nullable: true })
  batchId: string | null;

  @ManyToOne(() => PersonalisationBatch, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'batch_id' })
  batch?: PersonalisationBatch;

  /** The chip identifier the vendor reported. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  chipId: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  personalisedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  shippedAt: Date | null;

  /** This system's chain, or the card base taken over from the system it replaces. */
  @Column({ type: 'enum', enum: CardOrigin, enumName: 'card_origin', default: CardOrigin.Issued })
  origin: CardOrigin;

  /** 1: a card without photo (first generation); 2: with photo (every card this system issues). */
  @Column({ type: 'smallint', default: 2 })
  generation: number;

  /** An imported card not yet reconciled (outside "one usable card per holder" until reconciliation keeps it). */
  @Column({ type: 'boolean', default: false })
  awaitingReconciliation: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @VersionColumn({ default: 1 })
  version: number;
}
