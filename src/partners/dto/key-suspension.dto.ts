import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';

/** A suspension of an API key by the kiosk enumeration guard (docs/formats/kiosk-protocol-2.md). */
export class ApiKeySuspensionView {
  @ApiProperty({
    example: '12',
    description: 'Decreasing in the list; the cursor (`before`) is the id of the last one read',
  })
  id: string;
  @ApiProperty({ format: 'uuid' }) apiKeyId: string;
  @ApiProperty({ format: 'uuid' }) partnerId: string;
  @ApiProperty({ description: "The key's public prefix (as listed with the partner's keys)" }) keyPrefix: string;
  @ApiProperty({ enum: ['kiosk_unproven_cards'] }) reason: string;
  @ApiProperty({
    description: "Distinct cards asked about without the card's proof within the hour, when it was suspended",
  })
  unprovenCards: number;
  @ApiProperty({ description: 'KIOSK_UNPROVEN_SUSPEND at the time' }) threshold: number;
  @ApiProperty() suspendedAt: Date;
  @ApiProperty({ nullable: true, type: Date, description: 'Null while the key is suspended' }) liftedAt: Date | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The operator who lifted it' })
  liftedByPartnerId: string | null;
}

const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class ListSuspensionsQuery {
  @ApiPropertyOptional({
    description: 'true: only the keys still suspended; false: only lifted suspensions; absent: all',
  })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  open?: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: "Only this partner's keys" })
  @IsOptional()
  @IsUUID()
  partnerId?: string;

  @ApiPropertyOptional({ description: "Resume before this id (the previous page's `next`)" })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'before must be a suspension id' })
  before?: string;

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
