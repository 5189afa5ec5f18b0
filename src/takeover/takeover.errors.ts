import { defineErrors } from '../platform/errors/catalogue.js';

const importFile = (description: string) => ({ status: 422, description, message: (message: string) => message });

/** Taking over a card base: the card-base import (docs/formats/card-base-import.md). */
export const TakeoverErrors = defineErrors('takeover', {
  CARD_IMPORT_NOT_FOUND: {
    status: 404,
    description: 'No card-base import has this id; the upload answered it (`id`).',
    message: 'No card-base import has this id; check the id the upload answered',
  },
  CARD_IMPORT_EMPTY: importFile('The card-base file is empty: send the card-base/1 header, then one line per card.'),
  CARD_IMPORT_HEADER_INVALID: importFile(
    "The card-base file's first line is not the card-base/1 header (docs/formats/card-base-import.md).",
  ),
  CARD_IMPORT_TRUNCATED: {
    status: 422,
    description:
      'The gzip stream ends before its trailer (a cut transfer or a damaged file): the chunks read before the cut are ' +
      'kept; send the whole file again and the import resumes after them (`importId`, `lastLine`).',
    message: (importId: string | null, lastLine: number) => ({
      message:
        'The gzip stream ends before its trailer: the lines up to lastLine are kept; send the whole file again to resume',
      details: { importId, lastLine },
    }),
  },
});
