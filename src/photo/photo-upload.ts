import '@fastify/multipart';
import { createParamDecorator, ExecutionContext, Injectable, PipeTransform } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { PhotoErrors } from './photo.errors.js';
import { DomainError } from '../platform/errors/domain-error.js';

/** A multipart photo upload: its text fields and the bytes of its one file part named `file`. */
export interface PhotoUpload {
  fields: Record<string, string>;
  file: Buffer | null;
}

const MAX_FIELDS = 5;
const MAX_FIELD_BYTES = 200;

/**
 * Reads a multipart/form-data photo upload into memory, bounded by PHOTO_MAX_BYTES (413 PHOTO_TOO_LARGE), one
 * file part at most. Runs as a pipe, after the guards: an unauthenticated caller never gets its body read.
 */
@Injectable()
export class PhotoUploadPipe implements PipeTransform<FastifyRequest, Promise<PhotoUpload>> {
  constructor(private readonly config: AppConfig) {}

  async transform(req: FastifyRequest): Promise<PhotoUpload> {
    if (typeof req.isMultipart !== 'function' || !req.isMultipart()) {
      throw PhotoErrors.UPLOAD_NOT_MULTIPART();
    }
    const fields: Record<string, string> = {};
    let file: Buffer | null = null;
    try {
      const parts = req.parts({
        limits: {
          fileSize: this.config.photoMaxBytes,
          files: 1,
          fields: MAX_FIELDS,
          fieldSize: MAX_FIELD_BYTES,
          parts: MAX_FIELDS + 1,
        },
      });
      for await (const part of parts) {
        if (part.type === 'file') {
          if (part.fieldname !== 'file') {
            part.file.resume();
            throw PhotoErrors.UPLOAD_FIELD_UNKNOWN([part.fieldname], true);
          }
          file = await part.toBuffer();
        } else {
          fields[part.fieldname] = String(part.value ?? '');
        }
      }
    } catch (e) {
      throw toUploadError(e, this.config.photoMaxBytes);
    }
    return { fields, file };
  }
}

function toUploadError(e: unknown, maxBytes: number): unknown {
  if (e instanceof DomainError) return e;
  const code = (e as { code?: string })?.code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') {
    return PhotoErrors.PHOTO_TOO_LARGE(maxBytes);
  }
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return PhotoErrors.UPLOAD_MALFORMED('limits');
  }
  // busboy's own errors (truncated body, bad boundary) and an aborted upload are the caller's fault.
  if (e instanceof Error && !(e as { statusCode?: number }).statusCode)
    return PhotoErrors.UPLOAD_MALFORMED('unreadable');
  return e;
}

/** The multipart photo upload of the request, read by PhotoUploadPipe. */
export const MultipartPhoto = () =>
  createParamDecorator((_: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<FastifyRequest>())(
    PhotoUploadPipe,
  );
