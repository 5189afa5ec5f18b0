import { ApiProperty } from '@nestjs/swagger';
import { LIST_KINDS } from './opposition.dto.js';

/** One file of a list and its signature, with the exact statement signed. */
export class SignedListFileView {
  @ApiProperty({ description: 'SHA-256 of the file (hex)' }) sha256: string;
  @ApiProperty({ description: 'base64 Ed25519 signature of `statement`' }) signature: string;
  @ApiProperty({ description: 'The signed text (docs/formats/opposition-list.md)' }) statement: string;
}

/** GET /v1/opposition-lists/{number}/signature. */
export class ListSignatureView {
  @ApiProperty() number: number;
  @ApiProperty({ enum: LIST_KINDS }) kind: 'full' | 'incremental';
  @ApiProperty({ description: 'The key that signed (GET /v1/signing-keys)' }) keyId: string;
  @ApiProperty({ enum: ['Ed25519'] }) algorithm: 'Ed25519';
  @ApiProperty({ type: SignedListFileView }) text: SignedListFileView;
  @ApiProperty({ type: SignedListFileView }) compact: SignedListFileView;
}

/** A concentrator's SSH key, once registered: what it logs in as, and where the lists are. */
export class ConcentratorKeyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'ssh-ed25519' }) algorithm: string;
  @ApiProperty({ example: 'SHA256:3QbWk1d1c8m9kZ...' }) fingerprint: string;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ example: 'conc-9260363c645e4f65961e', description: 'The SFTP login' }) login: string;
  @ApiProperty({ example: '/lists', description: 'The read-only folder holding every list file' }) folder: string;
}
