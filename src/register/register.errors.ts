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
    description:
      'A bulk import is sent as text/csv or application/x-ndjson (formats beneficiaries-import/1, attachments-import/1).',
    message: 'Send the file as text/csv or application/x-ndjson (see the format of this import)',
  },
  IMPORT_ENCODING_INVALID: importFile('The import file is not UTF-8; save it as UTF-8 and send it again.'),
  IMPORT_TOO_MANY_ROWS: importFile('The import file has more rows than BULK_IMPORT_MAX_ROWS; split it.'),
  IMPORT_EMPTY: importFile('The import file has no data line.'),
  IMPORT_HEADER_INVALID: importFile(
    "The CSV file's first line is not the header of its format (beneficiaries-import/1, attachments-import/1).",
  ),
  // Families (attachments of dependants to insured parents, births).
  DEPENDANT_NOT_FOUND: {
    status: 404,
    description:
      "No such dependant attached to an insured the caller manages (another fund's child answers the same); check the id.",
    message:
      'No such dependant among the children of the insured you manage; check the id (GET /v1/beneficiaries/{parentId}/dependants)',
  },
  ATTACHMENT_NOT_FOUND: {
    status: 404,
    description: 'No such attachment of a dependant to an insured the caller manages; check the id.',
    message:
      'No such attachment to an insured you manage; check the id (GET /v1/beneficiaries/{parentId}/dependants lists them)',
  },
  PARENT_NIR_UNKNOWN: {
    status: 422,
    description:
      'A parent named by NIR (`field`) is not an insured affiliated to an organisme today; register the parent first.',
    message: (field: string) => ({
      message: 'This parent is not an insured affiliated today; register the parent first, then declare the birth',
      details: { field },
    }),
  },
  PARENT_NOT_MANAGED: {
    status: 422,
    description: "None of the parents named is an insured of the caller's organisme; the fund of a parent declares it.",
    message: () => ({
      message: 'At least one parent must be an insured of your organisme; the fund of a parent declares the birth',
      details: { field: 'parents' },
    }),
  },
  PARENTS_INVALID: {
    status: 422,
    description: 'A birth names one or two different parents (`parents`).',
    message: () => ({ message: 'Name one or two different parents', details: { field: 'parents' } }),
  },
  ATTACHMENT_DEPENDANT_REQUIRED: {
    status: 422,
    description: 'An attachment names the dependant either by `dependantId` or by identity (`dependant`), exactly one.',
    message: () => ({
      message: 'Send either dependantId (a dependant you already see) or dependant (the identity of a new one)',
      details: { field: 'dependant' },
    }),
  },
  ATTACHMENT_DATES_INVALID: {
    status: 422,
    description:
      'An attachment period is not valid (`field`): calendar dates YYYY-MM-DD, not before the birth, the end after the start and not in the past.',
    message: (message: string, field: string) => ({ message, details: { field } }),
  },
  ATTACHMENT_SELF: {
    status: 422,
    description: 'A person cannot be attached to themself.',
    message: () => ({ message: 'A person cannot be their own dependant', details: { field: 'dependantId' } }),
  },
  ATTACHMENT_EXISTS: {
    status: 409,
    description:
      'This dependant is already attached to this parent over an overlapping period; change that attachment.',
    message: 'This dependant is already attached to this parent over that period',
  },
  ATTACHMENT_TWO_PARENTS: {
    status: 409,
    description: 'This dependant already has two parents over that period; one attachment must end first.',
    message: 'This dependant already has two parents over that period; end one attachment first',
  },
  ATTACHMENT_PARENT_IS_DEPENDANT: {
    status: 409,
    description: 'The parent is a dependant over that period (no chains); a dependant carries no dependant.',
    message: 'The parent is itself a dependant over that period; a dependant carries no dependant',
  },
  ATTACHMENT_DEPENDANT_IS_PARENT: {
    status: 409,
    description: 'The dependant carries dependants of their own over that period (no chains).',
    message: 'This person carries dependants of their own over that period and cannot be a dependant',
  },
  ATTACHMENT_ENDED: {
    status: 409,
    description: 'The attachment has ended; attach the dependant again to carry them anew.',
    message: 'This attachment has ended; attach the dependant again instead',
  },
  DEPENDANTS_LIMIT: {
    status: 409,
    description:
      "The parent's cards already carry DEPENDANTS_MAX_PER_CARD dependants over that period (`max`); end an attachment first.",
    message: (max: number) => ({
      message: "The parent's cards already carry the most dependants a card holds over that period",
      details: { max },
    }),
  },
  DEPENDANT_IDENTITY_MISMATCH: {
    status: 409,
    description:
      'The NIR given for a new dependant is registered with another birth date; check the NIR, or attach that person by id.',
    message: () => ({
      message: 'This NIR is registered with another birth date; check the NIR and the birth date',
      details: { field: 'dependant.nir' },
    }),
  },
  DEPENDANT_INSURED: {
    status: 409,
    description:
      'The person given as a dependant has a card or an affiliation of their own, and this NIR cannot be re-attached by identity; attach by `dependantId` if you manage them.',
    message: () => ({
      message: 'This NIR belongs to an insured in their own right; a fund that manages them attaches them by id',
      details: { field: 'dependant.nir' },
    }),
  },
  NIR_ALREADY_DEFINITIVE: {
    status: 409,
    description: "The dependant's NIR is already definitive; a change of a definitive NIR is an operator's correction.",
    message: () => ({ message: "The dependant's NIR is already definitive", details: { field: 'nir' } }),
  },
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
