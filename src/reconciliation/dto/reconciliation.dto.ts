import { ApiProperty } from '@nestjs/swagger';
import { IsEnum } from 'class-validator';
import { ReconciliationClass, ReconciliationMode, ReconciliationRunStatus } from '../reconciliation-class.enum.js';

export class RequestRunDto {
  @ApiProperty({
    enum: ReconciliationMode,
    description:
      'dry_run: counts and report, nothing changes; apply: keep one card per person, oppose the others in waves',
  })
  @IsEnum(ReconciliationMode)
  mode: ReconciliationMode;
}

export class RunView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ReconciliationMode }) mode: ReconciliationMode;
  @ApiProperty({ enum: ReconciliationRunStatus }) status: ReconciliationRunStatus;
  @ApiProperty({ type: Number, nullable: true, description: 'Usable cards classified (once done)' })
  cardsClassified: number | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ type: Date, nullable: true }) startedAt: Date | null;
  @ApiProperty({ type: Date, nullable: true }) finishedAt: Date | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why a failed run failed (a code)' }) error: string | null;
}

export class FindingCountView {
  @ApiProperty({ example: '01' }) regimeCode: string;
  @ApiProperty({ example: '75011' }) fundCode: string;
  @ApiProperty({ example: '017510001' }) organismeCode: string;
  @ApiProperty({ enum: ReconciliationClass }) class: ReconciliationClass;
  @ApiProperty() cards: number;
}

export class RunDetailView extends RunView {
  @ApiProperty({
    type: [FindingCountView],
    description: "Cards per regime, fund, organisme and class (a fund: its own organisme's only); empty until done",
  })
  counts: FindingCountView[];
}

export class SurplusCounterView {
  @ApiProperty({ example: '01' }) regimeCode: string;
  @ApiProperty({ description: 'Surplus cards found by the latest finished run' }) found: number;
  @ApiProperty({ description: 'Surplus cards opposed (invalidated) by the waves' }) invalidated: number;
}

export class ReconciliationWaveView {
  @ApiProperty({ description: 'Cards opposed by this wave' }) opposed: number;
  @ApiProperty({ description: 'Decisions dropped: the card had left the states an opposition starts from' })
  skipped: number;
  @ApiProperty({ description: 'Cards opposed by waves today (Paris), this one included' }) opposedToday: number;
  @ApiProperty({ description: 'RECONCILE_DAILY_LIMIT' }) dailyLimit: number;
  @ApiProperty({ description: 'Oppositions decided and not yet made' }) remaining: number;
}
