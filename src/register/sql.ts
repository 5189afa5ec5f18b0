export { run } from '../platform/database/sql.js';

/** A row is current on `today` when valid_from <= today < valid_to (open-ended when valid_to is null). */
export const CURRENT = (alias: string, today: string) =>
  `${alias}.valid_from <= ${today} AND (${alias}.valid_to IS NULL OR ${alias}.valid_to > ${today})`;
