import { ApiProperty } from '@nestjs/swagger';

/** A published signing key (GET /v1/signing-keys): what a partner verifies files and receipts with. */
export class SigningKeyView {
  @ApiProperty({
    example: '3f2a9c0d1e4b5a67',
    description: "Named by the signatures it made (X-Signature-Key-Id, receipts' keyId)",
  })
  keyId: string;
  @ApiProperty({ enum: ['Ed25519'] }) algorithm: 'Ed25519';
  @ApiProperty({ description: 'The public key, SPKI in PEM' }) publicKey: string;
  @ApiProperty({ description: 'The key signing now; the others verify what they signed before a rotation' })
  current: boolean;
}
