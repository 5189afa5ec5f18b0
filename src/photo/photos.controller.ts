import { Controller, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse, ApiBody, ApiConflictResponse, ApiNotFoundResponse, ApiOperation, ApiPayloadTooLargeResponse, ApiTags,
  ApiTooManyRequestsResponse, ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, Consumes, CurrentActor, Public } from '../platform/auth/auth.decorators.js';
import { CentrePhotoUploadBody, OnlinePhotoUploadBody, PhotoReceiptView } from './dto/photo.dto.js';
import { PhotoIntakeService } from './photo-intake.service.js';
import { MultipartPhoto, type PhotoUpload } from './photo-upload.js';
import { UploadLinkRateGuard } from './upload-link-rate.guard.js';

@ApiTags('photos')
@Controller('v1')
export class PhotosController {
  constructor(private readonly intake: PhotoIntakeService) {}

  @Post('photos')
  @HttpCode(202)
  @Allow(PartnerKind.DigitisationCentre)
  @ApiOperation({ summary: 'Steps 2-3: the digitisation centre sends the scanned photo of a returned form; checked in the background' })
  @Consumes('multipart/form-data')
  @ApiBody({ type: CentrePhotoUploadBody })
  @ApiAcceptedResponse({ type: PhotoReceiptView })
  @ApiNotFoundResponse({ description: 'FORM_NOT_FOUND' })
  @ApiUnprocessableEntityResponse({ description: 'FORM_NUMBER_INVALID (8 digits with a Luhn check digit)' })
  @ApiConflictResponse({ description: 'REQUEST_NOT_AWAITING_PHOTO' })
  @ApiPayloadTooLargeResponse({ description: 'PHOTO_TOO_LARGE' })
  receive(@CurrentActor() actor: Actor, @MultipartPhoto() upload: PhotoUpload): Promise<PhotoReceiptView> {
    return this.intake.receiveFromCentre(actor, upload);
  }

  @Post('photo-uploads/:token')
  @HttpCode(202)
  @Public()
  @UseGuards(UploadLinkRateGuard)
  @ApiOperation({ summary: 'Online channel: the insured uploads a photo with the one-time link the fund gave; no API key, the link is the credential' })
  @Consumes('multipart/form-data')
  @ApiBody({ type: OnlinePhotoUploadBody })
  @ApiAcceptedResponse({ type: PhotoReceiptView })
  @ApiNotFoundResponse({ description: 'UPLOAD_LINK_INVALID: unknown, used or expired (indistinguishable)' })
  @ApiConflictResponse({ description: 'REQUEST_NOT_AWAITING_PHOTO' })
  @ApiPayloadTooLargeResponse({ description: 'PHOTO_TOO_LARGE' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED (per client address)' })
  upload(@Param('token') token: string, @MultipartPhoto() upload: PhotoUpload, @Req() req: FastifyRequest): Promise<PhotoReceiptView> {
    return this.intake.receiveOnline(token, upload, String(req.id));
  }
}
