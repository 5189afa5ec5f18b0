import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { IsOptional, IsUUID, Matches } from 'class-validator';
import { BatchFileService } from '../../emission/personalisation/batch-file.service.js';
import { ReturnIntakeService } from '../../emission/returns/return-intake.service.js';
import { ConsolePage } from '../../platform/auth/auth.decorators.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { Answers } from '../../platform/errors/answers.decorator.js';
import { PlatformErrors } from '../../platform/errors/platform.errors.js';
import { batchPage, batchesPage, returnFilePage, returnFilesPage } from '../pages/batches.page.js';
import { CurrentAgent } from '../ui/console-request.js';
import type { SafeHtml } from '../ui/html.js';
import { validated } from './form-input.js';

const PAGE = 50;

class BatchCursor {
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'avant must be a batch number' })
  before?: string;
}

class ReturnFileCursor {
  @IsOptional()
  @IsUUID()
  before?: string;
}

/** Personalisation batches and vendors' return files with their reject lines (operators). */
@ApiExcludeController()
@Controller('console')
export class ConsoleBatchesController {
  constructor(
    private readonly batches: BatchFileService,
    private readonly returns: ReturnIntakeService,
  ) {}

  @Get('lots')
  @ConsolePage('operator')
  @Answers(PlatformErrors.VALIDATION_FAILED)
  async list(@CurrentAgent() agent: ConsolePrincipal, @Query('avant') before?: string): Promise<SafeHtml> {
    const q = await validated(BatchCursor, { before });
    const items = await this.batches.list(PAGE, q.before);
    return batchesPage(agent, items, items.length === PAGE ? items[items.length - 1].batchNumber : null);
  }

  @Get('lots/:id')
  @ConsolePage('operator')
  @Answers(PlatformErrors.NOT_FOUND, PlatformErrors.BAD_REQUEST)
  async batch(@CurrentAgent() agent: ConsolePrincipal, @Param('id', ParseUUIDPipe) id: string): Promise<SafeHtml> {
    const batch = await this.batches.detail(id);
    if (!batch) throw PlatformErrors.NOT_FOUND();
    return batchPage(agent, batch);
  }

  @Get('fichiers-retour')
  @ConsolePage('operator')
  @Answers(PlatformErrors.VALIDATION_FAILED)
  async returnFiles(@CurrentAgent() agent: ConsolePrincipal, @Query('avant') before?: string): Promise<SafeHtml> {
    const q = await validated(ReturnFileCursor, { before });
    const items = await this.returns.files(PAGE, q.before ?? null);
    return returnFilesPage(agent, items, items.length === PAGE ? items[items.length - 1].id : null);
  }

  @Get('fichiers-retour/:id')
  @ConsolePage('operator')
  @Answers(PlatformErrors.NOT_FOUND, PlatformErrors.BAD_REQUEST)
  async returnFile(@CurrentAgent() agent: ConsolePrincipal, @Param('id', ParseUUIDPipe) id: string): Promise<SafeHtml> {
    const file = await this.returns.file(id);
    if (!file) throw PlatformErrors.NOT_FOUND();
    return returnFilePage(agent, file);
  }
}
