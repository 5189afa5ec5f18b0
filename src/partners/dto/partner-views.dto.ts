import { ApiProperty } from '@nestjs/swagger';
import type { Actor } from '../../platform/auth/actor.js';
import { PartnerKind } from '../partner-kind.enum.js';
import { ApiKeyView, PartnerView } from './partner.dto.js';

/** One partner with its API keys (never the keys themselves: they are shown once, at creation). */
export class PartnerDetailView extends PartnerView {
  @ApiProperty({ type: [ApiKeyView] }) apiKeys: ApiKeyView[];
}

/** GET /v1/me: whom the presented key belongs to. */
export class MeView {
  // Always set for a request: an API key belongs to a partner (null only for the system and CLI actors).
  @ApiProperty({ format: 'uuid' }) partnerId: string | null;
  @ApiProperty({ enum: PartnerKind }) kind: Actor['kind'];
  @ApiProperty({
    nullable: true,
    type: String,
    example: '017510001',
    description: "A fund's organisme; null for the other kinds",
  })
  organismeCode: string | null;
  @ApiProperty({ format: 'uuid' }) apiKeyId: string | null;
}
