import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseIntPipe,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Transactions } from '../platform/database/transactions.js';
import { CardView } from '../cards/dto/card.dto.js';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, RateLimited, CurrentActor } from '../platform/auth/auth.decorators.js';
import { AuditService } from '../platform/audit/audit.service.js';
import {
  AddConcentratorKeyDto,
  DeclareOppositionDto,
  LatestListQueryDto,
  ListFileQueryDto,
  ListsSinceQueryDto,
  OppositionListView,
  OppositionView,
  ProduceListDto,
} from './dto/opposition.dto.js';
import { ConcentratorSftpAccounts } from './concentrator-sftp-accounts.js';
import { sendFile } from './file-response.js';
import { signedStatement } from './list-codec.js';
import { OppositionListsService, toListView } from './opposition-lists.service.js';
import { OppositionService } from './opposition.service.js';
import { ConcentratorKeyView, ListSignatureView } from './dto/opposition-views.dto.js';
import { SigningKeyView } from '../platform/crypto/signing-key.dto.js';
import { ApiListResponse, type ListPage } from '../platform/openapi/list-page.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { CardsErrors } from '../cards/cards.errors.js';
import { OppositionErrors } from './opposition.errors.js';
import { PlatformErrors } from '../platform/errors/platform.errors.js';
import { SSH_KEY_LINE_ERRORS } from '../emission/vendors/vendors.service.js';

/** A list file: text/plain (text format) or application/octet-stream (compact), whole or one byte range. */
function ApiListFile(): MethodDecorator {
  return applyDecorators(
    ApiProduces('text/plain', 'application/octet-stream'),
    ApiOkResponse({
      description:
        'The file (format=text: text/plain; format=compact: application/octet-stream); ETag, X-Opposition-List-* and X-Signature headers',
      content: {
        'text/plain': { schema: { type: 'string' } },
        'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
      },
    }),
    ApiResponse({ status: 206, description: 'The byte range asked for (Range)' }),
    ApiResponse({ status: 304, description: 'Not modified (If-None-Match)' }),
  );
}

const SERIAL_PARAM = { name: 'serial', description: '12-digit card serial', example: '100000000042' };

@ApiTags('opposition')
@Controller('v1/cards')
@Allow(PartnerKind.Fund, PartnerKind.Operator)
export class CardOppositionController {
  constructor(private readonly opposition: OppositionService) {}

  @Post(':serial/opposition')
  @ApiOperation({
    summary:
      'Put a card in opposition (lost, stolen, fraud, invalidated_by_regime, holder_deceased); 200 with the existing opposition if it already is',
  })
  @ApiParam(SERIAL_PARAM)
  @ApiCreatedResponse({ type: OppositionView })
  @ApiOkResponse({ type: OppositionView, description: 'Already in opposition: nothing changed' })
  @Answers(CardsErrors.CARD_NOT_FOUND, CardsErrors.CARD_TRANSITION_NOT_ALLOWED)
  async declare(
    @CurrentActor() actor: Actor,
    @Param('serial') serial: string,
    @Body() dto: DeclareOppositionDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OppositionView> {
    const { opposition, created } = await this.opposition.declare(actor, serial, dto.reason);
    reply.code(created ? 201 : 200);
    return opposition;
  }

  @Get(':serial/opposition')
  @ApiOperation({ summary: 'The current opposition of a card' })
  @ApiParam(SERIAL_PARAM)
  @ApiOkResponse({ type: OppositionView })
  @Answers(CardsErrors.CARD_NOT_FOUND, OppositionErrors.OPPOSITION_NOT_FOUND)
  get(@CurrentActor() actor: Actor, @Param('serial') serial: string): Promise<OppositionView> {
    return this.opposition.get(actor, serial);
  }

  @Delete(':serial/opposition')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Withdraw a declaration made in error, within OPPOSITION_WITHDRAWAL_HOURS; the card returns to its previous state',
  })
  @ApiParam(SERIAL_PARAM)
  @ApiOkResponse({ type: CardView })
  @Answers(
    CardsErrors.CARD_NOT_FOUND,
    OppositionErrors.CARD_NOT_OPPOSED,
    OppositionErrors.OPPOSITION_NOT_WITHDRAWABLE,
    OppositionErrors.OPPOSITION_WITHDRAWAL_TOO_LATE,
    OppositionErrors.OPPOSITION_CARD_REPLACED,
    CardsErrors.CARD_HOLDER_HAS_USABLE_CARD,
    CardsErrors.CARD_TRANSITION_NOT_ALLOWED,
  )
  withdraw(@CurrentActor() actor: Actor, @Param('serial') serial: string): Promise<CardView> {
    return this.opposition.withdraw(actor, serial);
  }
}

@ApiTags('opposition')
@Controller('v1/opposition-lists')
@Allow(PartnerKind.PharmacySoftware, PartnerKind.Operator)
// 51,770 pharmacies poll these: a per-credential budget keeps one misbehaving client from starving the others.
@RateLimited()
export class OppositionListsController {
  constructor(
    private readonly lists: OppositionListsService,
    private readonly audit: AuditService,
    private readonly tx: Transactions,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Metadata of the lists numbered after `since`, oldest first, 1000 at most a page' })
  @ApiListResponse(OppositionListView, 'Pass it as `since` for the lists after this page; null when there are no more')
  since(@Query() q: ListsSinceQueryDto): Promise<ListPage<OppositionListView>> {
    return this.lists.since(q.since ?? 0);
  }

  @Post()
  @Allow(PartnerKind.Operator)
  @ApiOperation({
    summary: 'Produce a list now (operators): the incremental list of the changes since the last list, or a full list',
  })
  @ApiCreatedResponse({ type: OppositionListView })
  async produce(@CurrentActor() actor: Actor, @Body() dto: ProduceListDto): Promise<OppositionListView> {
    const { list } = await this.lists.produce(dto.kind, `demand-${new Date().toISOString()}`);
    await this.tx.run((em) =>
      this.audit.record(em, actor, {
        action: 'opposition.list_produced',
        entityType: 'opposition_list',
        entityId: String(list.number),
        details: { kind: list.kind, number: list.number, entryCount: list.entryCount },
      }),
    );
    return list;
  }

  @Get('latest')
  @ApiOperation({
    summary: 'The latest list of a kind (default full) as a file (text or compact), with ETag and Range support',
  })
  @ApiListFile()
  @Answers(
    OppositionErrors.OPPOSITION_LIST_NOT_YET_PRODUCED,
    OppositionErrors.OPPOSITION_LIST_FILE_MISSING,
    PlatformErrors.RANGE_NOT_SATISFIABLE,
  )
  async latest(
    @Query() q: LatestListQueryDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const row = await this.lists.latest(q.kind ?? 'full');
    return this.send(req, reply, row, q.format ?? 'text');
  }

  @Get(':number')
  @ApiOperation({
    summary: 'One list as a file (text or compact), with ETag (its SHA-256), If-None-Match and single Range support',
  })
  @ApiParam({ name: 'number', example: 1 })
  @ApiListFile()
  @Answers(
    OppositionErrors.OPPOSITION_LIST_NOT_FOUND,
    OppositionErrors.OPPOSITION_LIST_FILE_MISSING,
    PlatformErrors.RANGE_NOT_SATISFIABLE,
    PlatformErrors.BAD_REQUEST,
  )
  async byNumber(
    @Param('number', ParseIntPipe) number: number,
    @Query() q: ListFileQueryDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return this.send(req, reply, await this.lists.row(number), q.format ?? 'text');
  }

  @Get(':number/signature')
  @ApiOperation({
    summary:
      'The detached Ed25519 signatures of both files of a list, with the signed statements (keys: GET /v1/signing-keys)',
  })
  @ApiParam({ name: 'number', example: 1 })
  @ApiOkResponse({ type: ListSignatureView })
  @Answers(OppositionErrors.OPPOSITION_LIST_NOT_FOUND, PlatformErrors.BAD_REQUEST)
  async signature(@Param('number', ParseIntPipe) number: number): Promise<ListSignatureView> {
    const r = await this.lists.row(number);
    const v = toListView(r);
    return {
      number: v.number,
      kind: v.kind,
      keyId: v.keyId,
      algorithm: 'Ed25519' as const,
      text: {
        sha256: v.text.sha256,
        signature: v.text.signature,
        statement: signedStatement(v.kind, v.number, 'text', v.text.sha256),
      },
      compact: {
        sha256: v.compact.sha256,
        signature: v.compact.signature,
        statement: signedStatement(v.kind, v.number, 'compact', v.compact.sha256),
      },
    };
  }

  private send(
    req: FastifyRequest,
    reply: FastifyReply,
    row: Awaited<ReturnType<OppositionListsService['row']>>,
    format: 'text' | 'compact',
  ) {
    const f = this.lists.file(row, format);
    return sendFile(req, reply, {
      ...f,
      headers: {
        'X-Opposition-List-Number': String(row.number),
        'X-Opposition-List-Kind': row.kind,
        ...(row.baseNumber !== null ? { 'X-Opposition-List-Base': String(row.baseNumber) } : {}),
        'X-Signature-Key-Id': row.keyId,
        'X-Signature': format === 'text' ? row.textSignature : row.compactSignature,
      },
    });
  }
}

@ApiTags('signatures')
@Controller('v1/signing-keys')
@Allow(PartnerKind.Operator)
export class SigningKeyRotationController {
  constructor(private readonly lists: OppositionListsService) {}

  @Post('rotate')
  @ApiOperation({
    summary: 'Make a new Ed25519 key the signing key (operators); older keys stay published to verify what they signed',
  })
  @ApiCreatedResponse({ type: SigningKeyView, description: 'The new current key' })
  rotate(@CurrentActor() actor: Actor): Promise<SigningKeyView> {
    return this.lists.rotateSigningKey(actor);
  }
}

@ApiTags('opposition')
@Controller('v1/opposition/concentrators')
@Allow(PartnerKind.Operator)
export class ConcentratorsController {
  constructor(private readonly accounts: ConcentratorSftpAccounts) {}

  @Post(':partnerId/ssh-keys')
  @ApiOperation({
    summary:
      'Register an SSH key of a concentrator (pharmacy_software partner): it may then collect the lists over SFTP, read-only, under its login',
  })
  @ApiParam({ name: 'partnerId', format: 'uuid' })
  @ApiCreatedResponse({ type: ConcentratorKeyView })
  @Answers(OppositionErrors.CONCENTRATOR_NOT_FOUND, ...SSH_KEY_LINE_ERRORS)
  addKey(
    @CurrentActor() actor: Actor,
    @Param('partnerId') partnerId: string,
    @Body() dto: AddConcentratorKeyDto,
  ): Promise<ConcentratorKeyView> {
    return this.accounts.addKey(actor, partnerId, dto.publicKey);
  }
}
