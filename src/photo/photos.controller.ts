import { Controller, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, Consumes, CurrentActor, Public } from '../platform/auth/auth.decorators.js';
import { CentrePhotoUploadBody, OnlinePhotoUploadBody, PhotoReceiptView } from './dto/photo.dto.js';
import { PhotoIntakeService } from './photo-intake.service.js';
import { MultipartPhoto, type PhotoUpload } from './photo-upload.js';
import { UploadLinkRateGuard } from './upload-link-rate.guard.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { EmissionErrors } from '../emission/emission.errors.js';
import { PhotoErrors } from './photo.errors.js';
import { PlatformErrors } from '../platform/errors/platform.errors.js';

@ApiTags('photos')
@Controller('v1')
export class PhotosController {
  constructor(private readonly intake: PhotoIntakeService) {}

  @Post('photos')
  @HttpCode(202)
  @Allow(PartnerKind.DigitisationCentre)
  @ApiOperation({
    summary: 'Steps 2-3: the digitisation centre sends the scanned photo of a returned form; checked in the background',
  })
  @Consumes('multipart/form-data')
  @ApiBody({ type: CentrePhotoUploadBody })
  @ApiAcceptedResponse({ type: PhotoReceiptView })
  @Answers(
    PhotoErrors.FORM_NUMBER_MISSING,
    PhotoErrors.FORM_NUMBER_INVALID,
    PhotoErrors.FORM_NOT_FOUND,
    PhotoErrors.PHOTO_FILE_MISSING,
    PhotoErrors.UPLOAD_FIELD_UNKNOWN,
    PhotoErrors.UPLOAD_NOT_MULTIPART,
    PhotoErrors.UPLOAD_MALFORMED,
    PhotoErrors.PHOTO_TOO_LARGE,
    EmissionErrors.REQUEST_NOT_AWAITING_PHOTO,
  )
  receive(@CurrentActor() actor: Actor, @MultipartPhoto() upload: PhotoUpload): Promise<PhotoReceiptView> {
    return this.intake.receiveFromCentre(actor, upload);
  }

  @Post('photo-uploads/:token')
  @HttpCode(202)
  @Public()
  @UseGuards(UploadLinkRateGuard)
  @ApiOperation({
    summary:
      'Online channel: the insured uploads a photo with the one-time link the fund gave; no API key, the link is the credential',
  })
  @Consumes('multipart/form-data')
  @ApiBody({ type: OnlinePhotoUploadBody })
  @ApiAcceptedResponse({ type: PhotoReceiptView })
  @Answers(
    PhotoErrors.UPLOAD_LINK_INVALID,
    PlatformErrors.RATE_LIMITED,
    PhotoErrors.PHOTO_FILE_MISSING,
    PhotoErrors.UPLOAD_FIELD_UNKNOWN,
    PhotoErrors.UPLOAD_NOT_MULTIPART,
    PhotoErrors.UPLOAD_MALFORMED,
    PhotoErrors.PHOTO_TOO_LARGE,
    EmissionErrors.REQUEST_NOT_AWAITING_PHOTO,
  )
  upload(
    @Param('token') token: string,
    @MultipartPhoto() upload: PhotoUpload,
    @Req() req: FastifyRequest,
  ): Promise<PhotoReceiptView> {
    return this.intake.receiveOnline(token, upload, String(req.id));
  }
}
