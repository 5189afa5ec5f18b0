import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { textFault, textFaultMessage, type TextOptions } from './text.js';

/**
 * Free text of at most `max` characters under the one printable-text rule (text.ts): a string, not empty unless
 * `allowEmpty`, no control, zero-width or bidirectional-override character. One constraint, so one message per
 * field, naming the fault and never quoting the value. Combine with @IsOptional() for an optional field.
 */
export function IsText(max: number, options: ValidationOptions & TextOptions = {}): PropertyDecorator {
  const { allowEmpty, allowLineBreaks, ...validationOptions } = options;
  const rule = { allowEmpty, allowLineBreaks };
  return (object: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isText',
      target: object.constructor,
      propertyName: String(propertyName),
      constraints: [max],
      options: validationOptions,
      validator: {
        validate: (value: unknown) => textFault(value, max, rule) === null,
        defaultMessage: (args: ValidationArguments) =>
          textFaultMessage(args.property, textFault(args.value, max, rule) ?? 'not_text', max),
      },
    });
  };
}

/**
 * A name of civil status (first, birth or usage name). Its rules — characters, length (first name 45, birth name
 * 63, usage name 42), normalisation — are src/register/identity.ts's, applied by the register service, which
 * answers 422 with the codes the bulk import uses (NAME_TOO_LONG...). Here: a text is required.
 */
export function IsCivilName(options: ValidationOptions = {}): PropertyDecorator {
  return (object: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isCivilName',
      target: object.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string',
        defaultMessage: (args: ValidationArguments) => `${args.property} must be a text`,
      },
    });
  };
}

/**
 * Postal address lines. Their rules (1 to 6 lines of 38 characters) are src/register/identity.ts's, applied by the
 * register service (422 ADDRESS_INVALID); here: a list of texts.
 */
export function IsAddressLines(options: ValidationOptions = {}): PropertyDecorator {
  return (object: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isAddressLines',
      target: object.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => Array.isArray(value) && value.every((l) => typeof l === 'string'),
        defaultMessage: (args: ValidationArguments) => `${args.property} must be a list of texts (address lines)`,
      },
    });
  };
}
