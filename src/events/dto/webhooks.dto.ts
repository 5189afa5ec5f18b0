import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsEnum,
  IsIn,
  IsInt,
  IsOptional,
  IsUrl,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { IsText } from '../../platform/validation/text.decorators.js';
import { FundEventType } from '../event-types.js';

export class CreateWebhookDto {
  @ApiProperty({
    maxLength: 500,
    description: 'Where events are POSTed: http or https, without user:password',
    example: 'https://hooks.cpam-paris.example/vitale',
  })
  @IsText(500)
  @IsUrl(
    {
      protocols: ['http', 'https'],
      require_protocol: true,
      require_tld: false,
      require_host: true,
      allow_underscores: true,
      disallow_auth: true,
    },
    { message: 'url must be an http or https URL without credentials' },
  )
  url: string;

  @ApiPropertyOptional({
    enum: FundEventType,
    isArray: true,
    description: 'Event types to send; absent or empty = all',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(32)
  @ArrayUnique()
  @IsEnum(FundEventType, {
    each: true,
    message: `eventTypes must be among: ${Object.values(FundEventType).join(', ')}`,
  })
  eventTypes?: FundEventType[];
}

export class ListWebhooksQueryDto {
  @ApiPropertyOptional({ description: "Operators: only this organisme's subscriptions", example: '017510001' })
  @IsOptional()
  @Matches(/^\d{9}$/, { message: 'organismeCode must be 9 digits' })
  organismeCode?: string;
}

export class ListDeliveriesQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'failed'] })
  @IsOptional()
  @IsIn(['pending', 'delivered', 'failed'])
  status?: 'pending' | 'delivered' | 'failed';

  @ApiPropertyOptional({ description: 'Cursor: the `next` of the previous page (older deliveries)' })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'before must be a delivery id' })
  before?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class WebhookView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: '017510001' }) organismeCode: string;
  @ApiProperty() url: string;
  @ApiProperty({ enum: FundEventType, isArray: true, description: 'Empty = all' }) eventTypes: string[];
  @ApiProperty() active: boolean;
  @ApiProperty() createdAt: Date;
}

export class CreatedWebhookView extends WebhookView {
  @ApiProperty({
    description: 'The signing secret: shown in this answer only, never again (it is not stored)',
    example: 'whsec_...',
  })
  secret: string;
}

export class WebhookDeliveryView {
  @ApiProperty() id: string;
  @ApiProperty() eventId: string;
  @ApiProperty({ enum: FundEventType }) eventType: string;
  @ApiProperty() eventCreatedAt: Date;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status: string;
  @ApiProperty({ description: 'Calls made so far' }) attempts: number;
  @ApiPropertyOptional({ nullable: true, example: 'HTTP 503' }) lastError: string | null;
  @ApiPropertyOptional({ nullable: true }) deliveredAt: Date | null;
}

export class WebhookDeliveryPageView {
  @ApiProperty({ type: [WebhookDeliveryView] }) items: WebhookDeliveryView[];
  @ApiPropertyOptional({ nullable: true, description: 'Pass as `before` for older deliveries; null on the last page' })
  next: string | null;
}
