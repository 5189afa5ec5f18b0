import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppValidationPipe } from '../src/platform/validation/validation.pipe.js';

/**
 * A streamed upload (@StreamedUpload, the card-base import) gets the request's byte stream as its body. Compiled by
 * tsc, `@Body() body: Readable` declares the metatype Function; the pipe must hand the stream over untouched (turning
 * the request's socket into a Function instance aborted the built product on POST /v1/card-base/imports).
 */
describe('the validation pipe and a streamed body', () => {
  it('passes the stream itself, whatever metatype the compiler declared', async () => {
    const stream = Readable.from([Buffer.from('serial,chip_id\n')]);
    for (const metatype of [Function, Object, undefined])
      expect(await new AppValidationPipe().transform(stream, { type: 'body', metatype })).toBe(stream);
  });
});
