import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Partner } from '../../partners/partner.entity.js';

/**
 * A person who signs in to the console, on behalf of a partner of kind operator or fund (a trigger refuses any
 * other kind). The password is kept as an Argon2id hash; the TOTP secret sealed with a key the database does not hold.
 */
@Entity('console_agent')
@Check('console_agent_failures', 'failed_attempts >= 0')
@Check('console_agent_totp_once', '(totp_secret IS NULL) <> (totp_sealed IS NULL)')
export class ConsoleAgent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('console_agent_partner')
  @Column({ type: 'uuid' })
  partnerId: string;

  @ManyToOne(() => Partner, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'partner_id', foreignKeyConstraintName: 'console_agent_partner_fk' })
  partner?: Partner;

  /** Lower case; unique across all partners. */
  @Index('console_agent_login', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  login: string;

  @Column({ type: 'varchar', length: 120 })
  displayName: string;

  /** Argon2id, in the PHC string format (parameters included). */
  @Column({ type: 'varchar', length: 200 })
  passwordHash: string;

  /** The password was set by someone else (one-time): it must be changed at the next sign-in. */
  @Column({ type: 'boolean', default: true })
  mustChangePassword: boolean;

  /** An agent made before secrets were sealed, until the next start seals it (console_agent_totp_once). */
  @Column({ type: 'bytea', nullable: true })
  totpSecret: Buffer | null;

  /** The TOTP secret sealed (AES-256-GCM, key in DATA_DIR/keys/console-totp.key, bound to the agent's id). */
  @Column({ type: 'bytea', nullable: true })
  totpSealed: Buffer | null;

  /** The last TOTP time step accepted: a code is never accepted twice. */
  @Column({ type: 'bigint', default: 0 })
  totpLastStep: string;

  /** Failed sign-ins since the last success or lockout. */
  @Column({ type: 'integer', default: 0 })
  failedAttempts: number;

  @Column({ type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  disabledAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  /** The agent who created this one; null when created by the CLI. */
  @Column({ type: 'uuid', nullable: true })
  createdByAgentId: string | null;
}

/**
 * A signed-in browser: only a SHA-256 of its cookie's token is kept. Ends at `expires_at` (absolute), after an
 * idle time (CONSOLE_IDLE_MINUTES since `last_seen_at`), or when revoked (sign-out, sign-out everywhere, agent
 * disabled).
 */
@Entity('console_session')
export class ConsoleSession {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('console_session_token', { unique: true })
  @Column({ type: 'bytea' })
  tokenHash: Buffer;

  @Index('console_session_agent')
  @Column({ type: 'uuid' })
  agentId: string;

  @ManyToOne(() => ConsoleAgent, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'agent_id', foreignKeyConstraintName: 'console_session_agent_fk' })
  agent?: ConsoleAgent;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  lastSeenAt: Date;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** The anti-forgery token of the session's forms. */
  @Column({ type: 'varchar', length: 64 })
  csrfToken: string;
}
