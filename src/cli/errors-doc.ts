import { writeFileSync } from 'node:fs';
import { ERROR_CATALOGUES } from '../app.errors.js';
import { ERRORS_DOC, renderErrorsDoc } from '../platform/errors/errors-doc.js';

// `npm run docs:errors`: writes docs/errors.md from the error catalogues (run from the project root).
writeFileSync(ERRORS_DOC, renderErrorsDoc(ERROR_CATALOGUES));
process.stdout.write(`${ERRORS_DOC} written\n`);
