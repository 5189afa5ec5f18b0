import { defineErrors } from '../platform/errors/catalogue.js';

/** A rule of the insured person's input failed: the rule's message (names fields and rules, never values) and the field. */
const inputRule = (description: string) => ({
  status: 422,
  description,
  message: (message: string, field: string) => ({ message, details: { field } }),
});
const importFile = (description: string) => ({ status: 422, description, message: (message: string) => message });

/** The register's errors: beneficiaries, their affiliations and identity, bulk imports. */
export const RegisterErrors = defineErrors('register', {
  BENEFICIARY_NOT_FOUND: {
    status: 404,
    description:
      "No such beneficiary among the insured the caller manages (another fund's insured answers the same); check the id.",
    message:
      'No such beneficiary among the insured you manage; check the id (GET /v1/beneficiaries, or POST /v1/beneficiaries/lookup by NIR)',
  },
  BENEFICIARY_EXISTS: {
    status: 409,
    description:
      "This NIR is already affiliated to the caller's organisme (`beneficiaryId`); update that beneficiary instead.",
    message: (beneficiaryId: string) => ({
      message: 'This NIR is already affiliated to your organisme',
      details: { beneficiaryId },
    }),
  },
  BENEFICIARY_CONFLICT: {
    status: 409,
    description: 'The same NIR was being registered at the same moment; retry.',
    message: 'The NIR was being registered concurrently; retry',
  },
  BENEFICIARY_AFFILIATED_ELSEWHERE: {
    status: 409,
    description: 'This NIR is affiliated to another organisme; the change of fund starts there (a mutation).',
    message: 'This NIR is affiliated to another organisme; the change of fund starts there',
  },
  AFFILIATION_OVERLAP: {
    status: 409,
    description:
      'The new affiliation overlaps another of this beneficiary (`field`); read its affiliations and send a start after them.',
    message: (field: string, why: 'previous' | 'changed') => ({
      message:
        why === 'previous'
          ? 'affiliatedFrom falls within a previous affiliation of this NIR'
          : 'The new affiliation overlaps another one of this beneficiary (changed meanwhile); read its affiliations and retry',
      details: { field },
    }),
  },
  NIR_TAKEN: {
    status: 409,
    description: 'Another beneficiary holds this NIR; check the number.',
    message: () => ({ message: 'Another beneficiary holds this NIR', details: { field: 'newNir' } }),
  },
  NIR_UNCHANGED: {
    status: 422,
    description: 'The new NIR is the one the beneficiary already has; nothing to change.',
    message: () => ({ message: "This is already the beneficiary's NIR", details: { field: 'newNir' } }),
  },
  VERSION_CONFLICT: {
    status: 409,
    description:
      'The beneficiary changed since it was read (`currentVersion`); read it again and resend with its version.',
    message: (currentVersion: number) => ({
      message: 'The beneficiary changed since it was read; read it again',
      details: { currentVersion },
    }),
  },
  ORGANISME_FILTER_NOT_ALLOWED: {
    status: 400,
    description:
      'Only operators choose the organisme of a list; a fund lists its own insured, without `organismeCode`.',
    message: 'Only operators choose the organisme; a fund lists its own insured',
  },
  NIR_FORMAT: inputRule('The NIR is not 13 characters (digits, 2A or 2B) and a 2-digit key (`field`); check it.'),
  NIR_SEX_INVALID: inputRule("The NIR's first digit is not 1 or 2 (or 7/8 for a temporary number)."),
  NIR_MONTH_INVALID: inputRule("The NIR's birth month (characters 4-5) is not 01-12, 20-42 or 50-99."),
  NIR_KEY_MISMATCH: inputRule("The NIR's key does not match its 13 first characters; check the number."),
  NIR_BIRTH_DATE_MISMATCH: inputRule(
    "The NIR's year and month are not those of birthDate; correct whichever is wrong.",
  ),
  NAME_EMPTY: inputRule('A name (`field`) is missing or empty.'),
  NAME_TOO_LONG: inputRule(
    'A name is longer than its civil-status limit (first name 45, birth name 63, usage name 42).',
  ),
  NAME_INVALID_CHARACTERS: inputRule(
    'A name holds characters other than capitals (accented too), hyphens, apostrophes and spaces.',
  ),
  ADDRESS_INVALID: inputRule(
    'The address is not 1 to 6 lines of at most 38 letters, digits, spaces or punctuation (`field` names the line).',
  ),
  DATE_INVALID: inputRule(
    'A date (`field`) is not a calendar date YYYY-MM-DD, or is out of its range (future, before birth).',
  ),
  BIRTH_RANK_INVALID: inputRule('birthRank is a whole number from 1 to 9.'),
  IMPORT_NOT_FOUND: {
    status: 404,
    description: "No bulk import with this id among the caller's; imports are kept IMPORT_RETENTION_DAYS.",
    message:
      'No bulk import of yours has this id (reports are kept IMPORT_RETENTION_DAYS); check the location the upload answered',
  },
  IMPORT_MEDIA_TYPE: {
    status: 415,
    description: 'A bulk import is sent as text/csv or application/x-ndjson (format beneficiaries-import/1).',
    message: 'Send the file as text/csv or application/x-ndjson (format beneficiaries-import/1)',
  },
  IMPORT_ENCODING_INVALID: importFile('The import file is not UTF-8; save it as UTF-8 and send it again.'),
  IMPORT_TOO_MANY_ROWS: importFile('The import file has more rows than BULK_IMPORT_MAX_ROWS; split it.'),
  IMPORT_EMPTY: importFile('The import file has no data line.'),
  IMPORT_HEADER_INVALID: importFile("The CSV file's first line is not the header of beneficiaries-import/1."),
});

/** The codes of the rules on an insured person's input (answered 422, and in bulk import reports). */
export type BeneficiaryInputCode =
  | 'NIR_FORMAT'
  | 'NIR_SEX_INVALID'
  | 'NIR_MONTH_INVALID'
  | 'NIR_KEY_MISMATCH'
  | 'NIR_BIRTH_DATE_MISMATCH'
  | 'NAME_EMPTY'
  | 'NAME_TOO_LONG'
  | 'NAME_INVALID_CHARACTERS'
  | 'ADDRESS_INVALID'
  | 'DATE_INVALID'
  | 'BIRTH_RANK_INVALID';

/** The codes of a bulk import file refused whole. */
export type ImportFileCode =
  'IMPORT_ENCODING_INVALID' | 'IMPORT_TOO_MANY_ROWS' | 'IMPORT_EMPTY' | 'IMPORT_HEADER_INVALID';
