import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Card } from '../cards/card.entity.js';
import { CardRequest } from '../emission/requests/card-request.entity.js';
import { Campaign, CampaignWave } from './campaign.entity.js';
import { CampaignMemberOutcome } from './campaign-status.enum.js';

/**
 * A holder a campaign reached: once per campaign (primary key), with the wave, the card renewed, the organisme that
 * manages the holder (the funnel's tenant filter) and what was done (a request opened, or skipped).
 */
@Entity('campaign_member')
@Check('campaign_member_request', `(outcome = 'sent') = (request_id IS NOT NULL)`)
@Index('campaign_member_by_wave', ['waveId'])
export class CampaignMember {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_campaign_member' })
  campaignId: string;

  @ManyToOne(() => Campaign, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'campaign_id', foreignKeyConstraintName: 'campaign_member_campaign_fk' })
  campaign?: Campaign;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_campaign_member' })
  beneficiaryId: string;

  @Column({ type: 'uuid' })
  waveId: string;

  @ManyToOne(() => CampaignWave, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'wave_id', foreignKeyConstraintName: 'campaign_member_wave_fk' })
  wave?: CampaignWave;

  @Column({ type: 'uuid' })
  cardId: string;

  @ManyToOne(() => Card, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'card_id', foreignKeyConstraintName: 'campaign_member_card_fk' })
  card?: Card;

  @Column({ type: 'char', length: 9 })
  organismeCode: string;

  @Column({ type: 'enum', enum: CampaignMemberOutcome, enumName: 'campaign_member_outcome' })
  outcome: CampaignMemberOutcome;

  @Column({ type: 'uuid', nullable: true })
  requestId: string | null;

  @ManyToOne(() => CardRequest, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'request_id', foreignKeyConstraintName: 'campaign_member_request_fk' })
  request?: CardRequest;
}
