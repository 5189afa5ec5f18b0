import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Readable } from 'node:stream';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor, StreamedUpload } from '../platform/auth/auth.decorators.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { ImportRejectsQuery } from '../register/dto/bulk-import.dto.js';
import { CardBaseImportsService } from './card-base-imports.service.js';
import { CardImportRejectPage, CardImportSendingView, CardImportView } from './dto/card-base-import.dto.js';
import { TakeoverErrors } from './takeover.errors.js';

@ApiTags('takeover')
@Controller('v1/card-base/imports')
@Allow(PartnerKind.Operator)
export class CardBaseImportsController {
  constructor(private readonly service: CardBaseImportsService) {}

  @Post()
  @HttpCode(200)
  @StreamedUpload('text/csv', 'application/gzip')
  @ApiBody({
    description: 'A card-base/1 file (docs/formats/card-base-import.md), plain or gzip; any size',
    schema: { type: 'string', format: 'binary' },
  })
  @ApiOperation({
    summary:
      'Import the card base of the system this one replaces: streamed, committed by chunks; sending the same file again resumes it, or changes nothing once done',
  })
  @ApiOkResponse({ type: CardImportSendingView })
  @Answers(
    TakeoverErrors.CARD_IMPORT_EMPTY,
    TakeoverErrors.CARD_IMPORT_HEADER_INVALID,
    TakeoverErrors.CARD_IMPORT_TRUNCATED,
  )
  upload(@CurrentActor() actor: Actor, @Body() body: Readable): Promise<CardImportSendingView> {
    return this.service.importFile(actor, body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Status, cursor and counts of a card-base import' })
  @ApiOkResponse({ type: CardImportView })
  @Answers(TakeoverErrors.CARD_IMPORT_NOT_FOUND)
  get(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<CardImportView> {
    return this.service.get(actor, id);
  }

  @Get(':id/rejects')
  @ApiOperation({ summary: 'Rejected lines (line, code, field; never the data), by line order' })
  @ApiOkResponse({ type: CardImportRejectPage })
  @Answers(TakeoverErrors.CARD_IMPORT_NOT_FOUND)
  rejects(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Query() q: ImportRejectsQuery,
  ): Promise<CardImportRejectPage> {
    return this.service.rejects(actor, id, q.after, q.limit);
  }
}
