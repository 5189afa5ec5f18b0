import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import { IsText } from '../validation/text.decorators.js';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import { Allow } from '../auth/auth.decorators.js';
import { ApiListResponse, type ListPage } from '../openapi/list-page.js';
import { AuditEntryView } from './audit.dto.js';
import { AuditService } from './audit.service.js';

class AuditQueryDto {
  @IsOptional() @IsText(32) entityType?: string;
  @IsOptional() @IsText(64) entityId?: string;
  @IsOptional() @IsText(64) action?: string;
  @IsOptional() @IsUUID() actorPartnerId?: string;
  /** Cursor: the id of the last entry already read. */
  @IsOptional() @Matches(/^\d{1,18}$/, { message: 'after must be an entry id' }) after?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
}

@ApiTags('audit')
@Controller('v1/audit')
@Allow(PartnerKind.Operator)
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'Read the append-only audit trail, oldest first, resuming after a cursor' })
  @ApiListResponse(AuditEntryView, 'Pass it as `after` for the following entries; null on the last page')
  async list(@Query() q: AuditQueryDto): Promise<ListPage<AuditEntryView>> {
    const limit = q.limit ?? 100;
    const items = await this.audit.list({ ...q, afterId: q.after, limit });
    return { items, next: items.length === limit ? items[items.length - 1].id : null };
  }
}
