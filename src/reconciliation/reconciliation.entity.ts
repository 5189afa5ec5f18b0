import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { Card } from '../cards/card.entity.js';
import { CardOrigin, OppositionReason } from '../cards/card-state.enum.js';
import {
  DecisionAction,
  DecisionOutcome,
  ReconciliationClass,
  ReconciliationMode,
  ReconciliationRunStatus,
} from './reconciliation-class.enum.js';

/** One dry run or apply. `active` while pending or running: the unique index lets one run at a time exist. */
@Entity('reconciliation_run')
@Check('reconciliation_run_active', `active = (status IN ('pending', 'running'))`)
@Index('reconciliation_run_one_at_a_time', ['active'], { unique: true, where: 'active' })
@Index('reconciliation_run_created', ['createdAt'])
export class ReconciliationRun {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_reconciliation_run' })
  id: string;

  @Column({ type: 'enum', enum: ReconciliationMode })
  mode: ReconciliationMode;

  @Column({ type: 'enum', enum: ReconciliationRunStatus, default: ReconciliationRunStatus.Pending })
  status: ReconciliationRunStatus;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  /** The operator partner who asked. */
  @Column({ type: 'uuid', nullable: true })
  requestedBy: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  requestId: string | null;

  /** Usable cards the run classified. */
  @Column({ type: 'bigint', nullable: true })
  cardsClassified: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  /** A failed run's reason (a code, never data). */
  @Column({ type: 'varchar', length: 300, nullable: true })
  error: string | null;
}

/**
 * A card a run found in a class; organisme, fund and regime ride along for counts and the tenant rule. No foreign key:
 * a run writes millions (a per-row check each), and runs are never deleted. Keyed by serial (a card's serial is
 * unique): the report pages along the key, and a run writes in serial order.
 */
@Entity('reconciliation_finding')
export class ReconciliationFinding {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_reconciliation_finding' })
  runId: string;

  @Column({ type: 'uuid' })
  cardId: string;

  @PrimaryColumn({
    type: 'enum',
    enum: ReconciliationClass,
    enumName: 'reconciliation_class',
    primaryKeyConstraintName: 'PK_reconciliation_finding',
  })
  class: ReconciliationClass;

  @PrimaryColumn({ type: 'bigint', primaryKeyConstraintName: 'PK_reconciliation_finding' })
  serial: string;

  /** For a surplus card: the serial of the card its holder keeps. */
  @Column({ type: 'bigint', nullable: true })
  keptSerial: string | null;

  @Column({ type: 'char', length: 9 })
  organismeCode: string;

  @Column({ type: 'char', length: 5 })
  fundCode: string;

  @Column({ type: 'char', length: 2 })
  regimeCode: string;

  @Column({ type: 'smallint' })
  generation: number;

  @Column({ type: 'enum', enum: CardOrigin, enumName: 'card_origin' })
  origin: CardOrigin;
}

/** A finished run's count of cards per regime, fund, organisme and class (what the API and the console show). */
@Entity('reconciliation_count')
export class ReconciliationCount {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_reconciliation_count' })
  runId: string;

  @PrimaryColumn({ type: 'char', length: 2, primaryKeyConstraintName: 'PK_reconciliation_count' })
  regimeCode: string;

  @PrimaryColumn({ type: 'char', length: 5, primaryKeyConstraintName: 'PK_reconciliation_count' })
  fundCode: string;

  @PrimaryColumn({ type: 'char', length: 9, primaryKeyConstraintName: 'PK_reconciliation_count' })
  organismeCode: string;

  @PrimaryColumn({
    type: 'enum',
    enum: ReconciliationClass,
    enumName: 'reconciliation_class',
    primaryKeyConstraintName: 'PK_reconciliation_count',
  })
  class: ReconciliationClass;

  @Column({ type: 'integer' })
  cards: number;
}

/** What apply decided for a card: one row per card ever, so applying twice opposes nothing twice. */
@Entity('reconciliation_decision')
@Check('reconciliation_decision_reason', `(action = 'oppose') = (reason IS NOT NULL)`)
@Check(
  'reconciliation_decision_applied',
  `(applied_at IS NULL) = (outcome IS NULL) AND (applied_at IS NULL) = (applied_on IS NULL)`,
)
@Index('reconciliation_decision_pending', ['decidedAt', 'cardId'], {
  where: `action = 'oppose' AND applied_at IS NULL`,
})
@Index('reconciliation_decision_applied_on', ['appliedOn'], { where: 'applied_on IS NOT NULL' })
export class ReconciliationDecision {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_reconciliation_decision' })
  cardId: string;

  @ManyToOne(() => Card, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'card_id', foreignKeyConstraintName: 'reconciliation_decision_card_fk' })
  card?: Card;

  @Column({ type: 'uuid' })
  runId: string;

  @ManyToOne(() => ReconciliationRun, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'run_id', foreignKeyConstraintName: 'reconciliation_decision_run_fk' })
  run?: ReconciliationRun;

  @Column({ type: 'enum', enum: DecisionAction })
  action: DecisionAction;

  @Column({ type: 'enum', enum: OppositionReason, enumName: 'opposition_reason', nullable: true })
  reason: OppositionReason | null;

  @Column({ type: 'enum', enum: ReconciliationClass, enumName: 'reconciliation_class' })
  class: ReconciliationClass;

  @Column({ type: 'char', length: 9 })
  organismeCode: string;

  @Column({ type: 'char', length: 2 })
  regimeCode: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  decidedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  appliedAt: Date | null;

  /** The wave's day (Paris): what the daily cap counts. */
  @Column({ type: 'date', nullable: true })
  appliedOn: string | null;

  @Column({ type: 'enum', enum: DecisionOutcome, nullable: true })
  outcome: DecisionOutcome | null;
}
