import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only (a trigger refuses UPDATE and DELETE): who did what, when, under which request id. */
@Entity('audit_entry')
@Index(['entityType', 'entityId'])
export class AuditEntry {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Index()
  @CreateDateColumn({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'uuid', nullable: true })
  actorPartnerId: string | null;

  /**
   * The console agent who acted (a person signed in to the console); null for API keys, jobs and the CLI. Indexed:
   * the console's audit search filters by agent.
   */
  @Index()
  @Column({ type: 'uuid', nullable: true })
  actorAgentId: string | null;

  /** A partner kind, or `system` for jobs and `cli` for operator commands. */
  @Column({ type: 'varchar', length: 32 })
  actorKind: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  requestId: string | null;

  @Index()
  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ type: 'varchar', length: 32 })
  entityType: string;

  @Column({ type: 'varchar', length: 64 })
  entityId: string;

  /** The organisme the entry concerns, so a fund could be shown its own trail. */
  @Column({ type: 'char', length: 9, nullable: true })
  organismeCode: string | null;

  @Column({ type: 'jsonb' })
  details: Record<string, unknown>;
}
