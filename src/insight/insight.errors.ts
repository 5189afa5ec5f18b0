import { defineErrors } from '../platform/errors/catalogue.js';

/** The console data's errors (dashboard, search, the insured's file, photo review). */
export const InsightErrors = defineErrors('insight', {
  TIMELINE_CURSOR_INVALID: {
    status: 400,
    description: '`before` is not a cursor this API gave: pass the `next` of the previous timeline page unchanged.',
    message: "before is not a timeline cursor: pass the previous page's next unchanged",
  },
});
