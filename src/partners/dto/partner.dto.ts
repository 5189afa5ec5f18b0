import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsOptional, Matches } from 'class-validator';
import { IsText } from '../../platform/validation/text.decorators.js';
import { PartnerKind } from '../partner-kind.enum.js';

export class CreatePartnerDto {
  @ApiProperty({ enum: PartnerKind })
  @IsEnum(PartnerKind)
  kind: PartnerKind;

  @ApiProperty({ example: 'CPAM de Paris, centre 0001', maxLength: 120 })
  @IsText(120)
  name: string;

  @ApiPropertyOptional({ description: 'Required for a fund: its 9-digit organisme code', example: '017510001' })
  @IsOptional()
  @Matches(/^\d{9}$/, { message: 'organismeCode must be 9 digits' })
  organismeCode?: string;
}

export class CreateApiKeyDto {
  @ApiPropertyOptional({ example: 'production key 2026', maxLength: 120 })
  @IsOptional()
  @IsText(120)
  label?: string;
}

export class PartnerView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: PartnerKind }) kind: PartnerKind;
  @ApiProperty() name: string;
  @ApiPropertyOptional({ nullable: true }) organismeCode: string | null;
  @ApiProperty() active: boolean;
  @ApiProperty() createdAt: Date;
}

export class ApiKeyView {
  @ApiProperty() id: string;
  @ApiProperty() prefix: string;
  @ApiPropertyOptional({ nullable: true }) label: string | null;
  @ApiProperty() createdAt: Date;
  @ApiPropertyOptional({ nullable: true }) revokedAt: Date | null;
  @ApiPropertyOptional({ nullable: true }) lastUsedAt: Date | null;
  @ApiPropertyOptional({
    nullable: true,
    type: Date,
    description:
      'Set while the key is suspended by the kiosk enumeration guard (it then authenticates nowhere; DELETE /v1/partners/:id/api-keys/:keyId/suspension lifts it)',
  })
  suspendedAt: Date | null;
}

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ description: 'The key itself: shown once, never stored in clear' })
  key: string;
}
