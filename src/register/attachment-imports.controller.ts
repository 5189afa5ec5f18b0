import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, BulkUpload, CurrentActor } from '../platform/auth/auth.decorators.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { PlatformErrors } from '../platform/errors/platform.errors.js';
import { AttachmentImportsService } from './attachment-imports.service.js';
import { ImportAcceptedView, ImportRejectPage, ImportRejectsQuery, ImportView } from './dto/bulk-import.dto.js';
import { RegisterErrors } from './register.errors.js';

@ApiTags('families')
@Controller('v1/attachments/imports')
@Allow(PartnerKind.Fund, PartnerKind.Operator)
export class AttachmentImportsController {
  constructor(private readonly service: AttachmentImportsService) {}

  @Post()
  @Allow(PartnerKind.Fund)
  @HttpCode(202)
  @BulkUpload('text/csv', 'application/x-ndjson', 'application/jsonl')
  @ApiBody({
    description: 'An attachments-import/1 file (docs/formats/attachments-import.md)',
    schema: { type: 'string' },
  })
  @ApiOperation({
    summary:
      "Upload a file of attachments of dependants to the caller's insured; processed in the background (good lines kept, bad lines reported by line)",
  })
  @ApiAcceptedResponse({ type: ImportAcceptedView, description: 'Location: the import report' })
  @Answers(
    PlatformErrors.FUND_ONLY,
    RegisterErrors.IMPORT_MEDIA_TYPE,
    RegisterErrors.IMPORT_ENCODING_INVALID,
    RegisterErrors.IMPORT_TOO_MANY_ROWS,
    RegisterErrors.IMPORT_EMPTY,
    RegisterErrors.IMPORT_HEADER_INVALID,
  )
  async upload(
    @CurrentActor() actor: Actor,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ImportAcceptedView> {
    const accepted = await this.service.upload(actor, contentType, body);
    reply.header('Location', accepted.location);
    return accepted;
  }

  @Get(':id')
  @ApiOperation({ summary: "Status and counts of an attachments import of the caller's organisme" })
  @ApiOkResponse({ type: ImportView })
  @Answers(RegisterErrors.IMPORT_NOT_FOUND)
  get(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<ImportView> {
    return this.service.get(actor, id);
  }

  @Get(':id/rejects')
  @ApiOperation({ summary: 'Rejected lines (line, code, field, message; never the data), by line order' })
  @ApiOkResponse({ type: ImportRejectPage })
  @Answers(RegisterErrors.IMPORT_NOT_FOUND)
  rejects(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Query() q: ImportRejectsQuery,
  ): Promise<ImportRejectPage> {
    return this.service.rejects(actor, id, q.after, q.limit);
  }
}
