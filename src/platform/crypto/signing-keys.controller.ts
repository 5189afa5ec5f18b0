import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ALL_PARTNER_KINDS } from '../../partners/partner-kind.enum.js';
import { Allow } from '../auth/auth.decorators.js';
import { ApiListResponse, type ListPage, wholeList } from '../openapi/list-page.js';
import { SigningKeyView } from './signing-key.dto.js';
import { SigningService } from './signing.service.js';

@ApiTags('signatures')
@Controller('v1/signing-keys')
@Allow(...ALL_PARTNER_KINDS)
export class SigningKeysController {
  constructor(private readonly signing: SigningService) {}

  @Get()
  @ApiOperation({ summary: 'The Ed25519 public keys that sign files and receipts (current and previous), by key id' })
  @ApiListResponse(SigningKeyView)
  list(): ListPage<SigningKeyView> {
    return wholeList(this.signing.publicKeys());
  }
}
