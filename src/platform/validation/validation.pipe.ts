import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { Readable } from 'node:stream';
import { PlatformErrors } from '../errors/platform.errors.js';

export interface FieldError {
  field: string;
  messages: string[];
}

/** Most field errors listed; the count of all is given beside (the problem filter also caps every list). */
export const MAX_FIELD_ERRORS = 20;

/**
 * When several rules of one field fail, the one that says what the field is wins: "limit must be an integer
 * number" rather than "limit must not be greater than 1000" for `limit=abc`.
 */
const FIRST = [
  'isText',
  'isCivilName',
  'isAddressLines',
  'nestedValidation',
  'isArray',
  'isObject',
  'isBoolean',
  'isInt',
  'isNumber',
  'isEnum',
  'isIn',
  'isUuid',
  'isIso8601',
  'matches',
  'isUrl',
  'isString',
];

const invalid = (errors: FieldError[], total = errors.length) =>
  PlatformErrors.VALIDATION_FAILED(errors.slice(0, MAX_FIELD_ERRORS), total > MAX_FIELD_ERRORS ? total : undefined);

/**
 * The global pipe: the DTO rules (whitelist, forbid unknown properties, transform), with error documents that
 * stay small and never repeat the input: one clear message per field ("is required" when it is missing), unknown
 * properties counted under their parent without being named (a body sent as a form once came back whole as a
 * property name), at most MAX_FIELD_ERRORS entries. A body read into a DTO or a record must be a JSON object.
 */
@Injectable()
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // The target to name the accepted properties; never the value.
      validationError: { target: true, value: false },
      // Described in transform, which knows whether the body or the query string was read.
      exceptionFactory: (errors) => new UndescribedErrors(errors),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A streamed upload's body (@StreamedUpload) is the request's byte stream, the route's to read: never a DTO. Built
    // with tsc, `@Body() body: Readable` carries the metatype Function, and turning the request's socket into an
    // instance of it aborted the process (node's TCPWrap assertion).
    if (metadata.type === 'body' && value instanceof Readable) return value;
    if (
      metadata.type === 'body' &&
      value !== undefined &&
      !Buffer.isBuffer(value) &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      throw invalid([{ field: '', messages: ['the body must be a JSON object'] }]);
    }
    try {
      return await super.transform(value, metadata);
    } catch (e) {
      if (!(e instanceof UndescribedErrors)) throw e;
      throw invalid(describeValidation(e.errors, '', metadata.type === 'query' ? 'the query string' : 'the body'));
    }
  }
}

class UndescribedErrors {
  constructor(readonly errors: ValidationError[]) {}
}

export function describeValidation(errors: ValidationError[], parent = '', root = 'the body'): FieldError[] {
  const out: FieldError[] = [];
  let unknown = 0;
  let accepted: string[] = [];
  for (const e of errors) {
    const field = /^\d+$/.test(e.property)
      ? `${parent}[${e.property}]`
      : parent
        ? `${parent}.${e.property}`
        : e.property;
    const constraints = e.constraints ?? {};
    if ('whitelistValidation' in constraints) {
      unknown++;
      accepted = propertiesOf(e.target);
      continue;
    }
    const keys = Object.keys(constraints);
    if (keys.length > 0) {
      const missing =
        e.target !== undefined && e.target !== null && (e.target as Record<string, unknown>)[e.property] == null;
      const key = FIRST.find((k) => k in constraints) ?? keys[0];
      out.push({ field, messages: [missing ? `${field} is required` : constraints[key].replace(e.property, field)] });
    }
    if (e.children?.length) out.push(...describeValidation(e.children, field, root));
  }
  if (unknown > 0) {
    const where = `${parent || root} takes`;
    out.unshift({
      field: parent,
      messages: [
        `${unknown} unknown propert${unknown === 1 ? 'y' : 'ies'}: ${where} only ${accepted.length ? accepted.join(', ') : 'no property'}`,
      ],
    });
  }
  return out;
}

/** The properties a DTO declares (its validation rules), to say what an object accepts instead of what it got. */
function propertiesOf(target: object | undefined): string[] {
  if (!target) return [];
  const metas = getMetadataStorage().getTargetValidationMetadatas(target.constructor, '', true, false);
  return [...new Set(metas.map((m) => m.propertyName))];
}
