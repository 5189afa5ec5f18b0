import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsOptional, IsUUID, Matches } from 'class-validator';
import { IsText } from '../../../platform/validation/text.decorators.js';
import { SFTP_LOGIN } from '../../../platform/sftp/sftp-folders.js';

const REGIME = /^\d{2}$/;

export class CreateVendorDto {
  @ApiProperty({ format: 'uuid', description: 'A partner of kind personalisation_vendor' })
  @IsUUID()
  partnerId: string;

  @ApiProperty({ example: 'imprimerie_nord', description: 'SFTP user name (also its folder); cannot change later' })
  @Matches(SFTP_LOGIN, {
    message: 'login must be 3-32 characters: a lower-case letter, then lower-case letters, digits, _ or -',
  })
  login: string;

  @ApiPropertyOptional({
    default: false,
    description: 'Receives the cards of every regime no other vendor serves (at most one)',
  })
  @IsOptional()
  @IsBoolean()
  isDefault?: boolean;

  @ApiPropertyOptional({
    type: [String],
    example: ['01', '02'],
    description: 'Regimes whose cards go to this vendor (a regime has one vendor)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @Matches(REGIME, { each: true, message: 'each regime code must be 2 digits' })
  regimeCodes?: string[];
}

export class UpdateVendorDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  isDefault?: boolean;

  @ApiPropertyOptional({ type: [String], example: ['01'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @Matches(REGIME, { each: true, message: 'each regime code must be 2 digits' })
  regimeCodes?: string[];
}

export class AddSshKeyDto {
  @ApiProperty({
    example: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI... vendor@host',
    description: 'One OpenSSH public key line',
  })
  // The key parser is this field's rule (one line, the trailing line break of a .pub file trimmed).
  @IsText(16_384, { allowLineBreaks: true })
  publicKey: string;
}

export class SetAgeRecipientDto {
  @ApiProperty({
    example: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
    description: "The vendor's age X25519 recipient: the public key `age-keygen` prints (`age-keygen -y key.txt`)",
  })
  @IsText(100)
  recipient: string;
}

export class SshKeyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'ssh-ed25519' }) algorithm: string;
  @ApiProperty({ example: 'SHA256:3QbWk1d1c8m9kZ...' }) fingerprint: string;
  @ApiProperty() createdAt: Date;
  @ApiPropertyOptional({ nullable: true }) revokedAt: Date | null;
}

export class VendorView {
  @ApiProperty({ format: 'uuid' }) partnerId: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'The partner is active (an inactive vendor gets no cards and cannot log in)' })
  active: boolean;
  @ApiProperty() login: string;
  @ApiProperty() isDefault: boolean;
  @ApiProperty({ type: [String] }) regimeCodes: string[];
  @ApiProperty({ type: [SshKeyView] }) sshKeys: SshKeyView[];
  @ApiPropertyOptional({
    nullable: true,
    description:
      'The age recipient its personalisation files are encrypted to; null: the vendor gets no batch (its cards wait)',
  })
  ageRecipient: string | null;
  @ApiPropertyOptional({ nullable: true }) ageRecipientSetAt: Date | null;
  @ApiProperty() createdAt: Date;
}
