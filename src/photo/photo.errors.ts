import { defineErrors } from '../platform/errors/catalogue.js';

/** The photo module's errors: intake (digitisation centre, the insured's upload link) and the photo store. */
export const PhotoErrors = defineErrors('photo', {
  PHOTO_NOT_FOUND: {
    status: 404,
    description: 'No photo has this id.',
    message: 'No such photo',
  },
  PHOTO_NOT_ACCEPTED: {
    status: 409,
    description: 'Only an accepted photo has card images (`photoStatus` says what this one is).',
    message: (photoStatus: string) => ({
      message: `The photo is ${photoStatus}; only an accepted photo has card images`,
      details: { photoStatus },
    }),
  },
  PHOTO_FILE_MISSING: {
    status: 400,
    description: 'The multipart part `file` is missing or empty; send the photo in it.',
    message: 'The multipart file part `file` is required and not empty',
  },
  PHOTO_TOO_LARGE: {
    status: 413,
    description: 'The photo is over PHOTO_MAX_BYTES (`maxBytes`); send a smaller file.',
    message: (maxBytes: number) => ({ message: `The photo is larger than ${maxBytes} bytes`, details: { maxBytes } }),
  },
  UPLOAD_NOT_MULTIPART: {
    status: 415,
    description: 'A photo is sent as multipart/form-data with the photo in a part named `file`.',
    message: 'Send multipart/form-data with the photo in a part named `file`',
  },
  UPLOAD_FIELD_UNKNOWN: {
    status: 400,
    description:
      "The multipart body has fields this endpoint does not take (counted in `unknownFields`, never named: the names are the caller's input); send `file` (and `formNumber` for the centre) only.",
    message: (fields: string[], asFile: boolean) => ({
      message: asFile
        ? 'The photo goes in the file part named `file`'
        : `${fields.length} unexpected multipart field${fields.length === 1 ? '' : 's'}; send \`file\` (and \`formNumber\` for the centre) only`,
      details: { unknownFields: fields.length },
    }),
  },
  UPLOAD_MALFORMED: {
    status: 400,
    description:
      'The multipart body could not be read, or has more than one file or many fields; send one file part named `file`.',
    message: (why: 'limits' | 'unreadable') =>
      why === 'limits'
        ? 'Send one file part named `file` and at most a few short text fields'
        : 'The multipart body could not be read',
  },
  UPLOAD_LINK_INVALID: {
    status: 404,
    description: 'The upload link is unknown, already used or expired; ask the fund for a new one.',
    message: 'This upload link is unknown, already used or expired; ask your fund for a new one',
  },
  FORM_NUMBER_MISSING: {
    status: 400,
    description: "The multipart field `formNumber` (the form's 8 digits) is required.",
    message: 'The multipart field formNumber is required',
  },
  FORM_NUMBER_INVALID: {
    status: 422,
    description: 'The form number has 8 digits and a valid check digit; check what was keyed in.',
    message: 'The form number has 8 digits and a valid check digit; check what was keyed in',
  },
  FORM_NOT_FOUND: {
    status: 404,
    description: 'No card request has this form number (or it closed); check the form.',
    message: 'No card request has this form number',
  },
});
