import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsEnum, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { RequestReason, RequestStatus } from '../request-status.enum.js';

export class CreateCardRequestDto {
  @ApiProperty({ format: 'uuid', description: "An insured person currently affiliated to the caller's organisme" })
  @IsUUID()
  beneficiaryId: string;

  @ApiProperty({
    enum: RequestReason,
    description: '`first_card` is refused while the holder has an active card; other reasons replace it',
  })
  @IsEnum(RequestReason)
  reason: RequestReason;

  @ApiPropertyOptional({
    default: false,
    description: 'Order the card as soon as a photo is accepted, without waiting for the fund',
  })
  @IsOptional()
  @IsBoolean()
  autoOrder?: boolean;
}

export class ListCardRequestsQueryDto {
  @ApiPropertyOptional({ enum: RequestStatus })
  @IsOptional()
  @IsEnum(RequestStatus)
  status?: RequestStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  beneficiaryId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Cursor: the `next` of the previous page' })
  @IsOptional()
  @IsUUID()
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class RequestPhotoView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['pending', 'accepted', 'rejected'] }) status: string;
  @ApiProperty({ enum: ['digitisation_centre', 'online'] }) source: string;
  @ApiProperty({
    type: [String],
    description: 'Refusal reason codes (docs/photo-intake.md)',
    example: ['PHOTO_TOO_DARK'],
  })
  reasons: string[];
  @ApiProperty() receivedAt: Date;
  @ApiPropertyOptional({ nullable: true }) checkedAt: Date | null;
}

export class RequestStepView {
  @ApiProperty({ enum: RequestStatus }) status: RequestStatus;
  @ApiProperty() enteredAt: Date;
}

export class CardRequestSummaryView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: '10000016', description: '8 digits: 7 from a sequence and a Luhn check digit' })
  formNumber: string;
  @ApiProperty({ format: 'uuid' }) beneficiaryId: string;
  @ApiProperty({ example: '017510001' }) organismeCode: string;
  @ApiProperty({ enum: RequestReason }) reason: RequestReason;
  @ApiProperty({ enum: RequestStatus }) status: RequestStatus;
  @ApiProperty({
    enum: ['fund', 'sixteenth_birthday', 'campaign'],
    description:
      "Who opened it: a fund, the daily job for a dependant reaching 16 (under a parent's fund), or a renewal campaign's wave",
  })
  origin: 'fund' | 'sixteenth_birthday' | 'campaign';
  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The renewal campaign that opened it',
  })
  campaignId: string | null;
  @ApiProperty() autoOrder: boolean;
  @ApiPropertyOptional({ type: RequestPhotoView, nullable: true, description: 'The latest photo received' })
  photo: RequestPhotoView | null;
  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: 'The accepted photo' }) acceptedPhotoId:
    string | null;
  @ApiPropertyOptional({ format: 'uuid', nullable: true }) cardId: string | null;
  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: 'The active card this request replaces' })
  replacedCardId: string | null;
  @ApiProperty({ description: 'When the fund is reminded of an unanswered form' }) reminderDueAt: Date;
  @ApiPropertyOptional({ nullable: true }) remindedAt: Date | null;
  @ApiProperty({ description: 'When an unanswered request expires' }) expiresAt: Date;
  @ApiPropertyOptional({
    nullable: true,
    description: 'End of the current online upload link; null when none is usable',
  })
  uploadLinkExpiresAt: Date | null;
  @ApiProperty() statusChangedAt: Date;
  @ApiProperty({ description: 'Set when the re-injector gave up on this request' }) needsReview: boolean;
  @ApiProperty() createdAt: Date;
}

export class CardRequestView extends CardRequestSummaryView {
  @ApiProperty({ type: [RequestStepView], description: 'Every status entered, oldest first' }) steps: RequestStepView[];
}

export class CreatedCardRequestView extends CardRequestView {
  @ApiProperty({
    example: '/v1/photo-uploads/3q2-7w…',
    description: 'One-time online upload link for the insured; shown only in this answer',
  })
  photoUploadLink: string;
}

export class UploadLinkView {
  @ApiProperty({ example: '/v1/photo-uploads/3q2-7w…', description: 'Shown once; the previous link stops working' })
  photoUploadLink: string;
  @ApiProperty() expiresAt: Date;
}

export class CardRequestPageView {
  @ApiProperty({ type: [CardRequestSummaryView] }) items: CardRequestSummaryView[];
  @ApiPropertyOptional({ nullable: true, description: 'Pass as `after` for the next page; null on the last page' })
  next: string | null;
}
