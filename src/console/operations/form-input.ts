import type { ArgumentMetadata } from '@nestjs/common';
import { AppValidationPipe } from '../../platform/validation/validation.pipe.js';

/** A form field as text ('' when absent). */
export const formField = (form: Record<string, string>, name: string): string =>
  typeof form[name] === 'string' ? form[name].trim() : '';

/** A list typed as codes separated by commas or spaces; undefined when empty. */
export const formList = (form: Record<string, string>, name: string): string[] | undefined => {
  const items = formField(form, name)
    .split(/[\s,;]+/)
    .filter((s) => s.length > 0);
  return items.length ? items : undefined;
};

/**
 * A whole number typed in a form; undefined when empty. Anything else is kept as text so the API's DTO rule
 * refuses it with its own message (VALIDATION_FAILED), exactly as the JSON route would.
 */
export const formInt = (form: Record<string, string>, name: string): number | string | undefined => {
  const v = formField(form, name);
  if (v === '') return undefined;
  return /^\d{1,9}$/.test(v) ? Number(v) : v;
};

const pipe = new AppValidationPipe();

/** The form's values checked by the API's own DTO (same rules, same VALIDATION_FAILED code), before any service call. */
export async function validated<T>(metatype: new () => T, value: object): Promise<T> {
  return (await pipe.transform(value, { type: 'body', metatype } as ArgumentMetadata)) as T;
}
