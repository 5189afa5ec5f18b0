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
import { CampaignStatus, CampaignWaveStatus } from './campaign-status.enum.js';

/** The cohort an operator defined (validated, stored as given; see docs/campaigns.md). */
export interface CohortDefinition {
  regimeCodes: string[];
  fundCodes?: string[];
  organismeCodes?: string[];
  generation?: number;
  minAge?: number;
  notUpdatedForMonths?: number;
  origin?: string;
}

/**
 * A renewal campaign: a cohort of card holders reached in daily waves, each wave opening card requests (step 1) for
 * its holders. `cursor` is the last holder handled (the cohort is walked in holder order): it moves in the same
 * transaction as the requests it opened, so a pause, a crash or a second instance neither loses nor repeats anyone.
 */
@Entity('campaign')
@Check('campaign_daily_limit', `daily_limit IS NULL OR daily_limit > 0`)
@Check('campaign_counts', `sent >= 0 AND skipped >= 0`)
export class Campaign {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_campaign' })
  id: string;

  @Column({ type: 'varchar', length: 120 })
  name: string;

  @Column({ type: 'enum', enum: CampaignStatus, enumName: 'campaign_status', default: CampaignStatus.Ready })
  status: CampaignStatus;

  @Column({ type: 'jsonb' })
  cohort: CohortDefinition;

  /** Most forms this campaign sends a day (null: the day's capacity, CAMPAIGN_DAILY_CAPACITY). */
  @Column({ type: 'integer', nullable: true })
  dailyLimit: number | null;

  /** Holders in the cohort when the campaign was defined (its dry run). */
  @Column({ type: 'integer' })
  cohortSize: number;

  /** The last holder (beneficiary id) a wave handled; null before the first. */
  @Column({ type: 'uuid', nullable: true })
  cursor: string | null;

  @Column({ type: 'integer', default: 0 })
  sent: number;

  @Column({ type: 'integer', default: 0 })
  skipped: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  statusChangedAt: Date;
}

/**
 * One day's wave of a campaign: at most one per campaign and day (unique index), whatever the instances running the
 * job; `planned` is what the day's capacity granted it, `sent` never passes it (a check).
 */
@Entity('campaign_wave')
@Index('campaign_wave_once_a_day', ['campaignId', 'waveDay'], { unique: true })
@Check('campaign_wave_counts', `planned >= 0 AND sent BETWEEN 0 AND planned AND skipped >= 0`)
export class CampaignWave {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_campaign_wave' })
  id: string;

  @Column({ type: 'uuid' })
  campaignId: string;

  @ManyToOne(() => Campaign, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'campaign_id', foreignKeyConstraintName: 'campaign_wave_campaign_fk' })
  campaign?: Campaign;

  /** The Paris day of the wave. */
  @Column({ type: 'date' })
  waveDay: string;

  @Column({ type: 'integer' })
  planned: number;

  @Column({ type: 'integer', default: 0 })
  sent: number;

  @Column({ type: 'integer', default: 0 })
  skipped: number;

  @Column({
    type: 'enum',
    enum: CampaignWaveStatus,
    enumName: 'campaign_wave_status',
    default: CampaignWaveStatus.Open,
  })
  status: CampaignWaveStatus;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}

/**
 * The forms every campaign together may send on one day (the photo digitisation contract's capacity): waves reserve
 * their share under this row's lock, and the check keeps the sum within the capacity, whatever the instances.
 */
@Entity('campaign_capacity_day')
@Check('campaign_capacity_day_within', `planned BETWEEN 0 AND capacity`)
export class CampaignCapacityDay {
  @PrimaryColumn({ type: 'date', primaryKeyConstraintName: 'PK_campaign_capacity_day' })
  day: string;

  @Column({ type: 'integer' })
  capacity: number;

  @Column({ type: 'integer', default: 0 })
  planned: number;
}
