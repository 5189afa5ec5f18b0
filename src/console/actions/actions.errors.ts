import { defineErrors } from '../../platform/errors/catalogue.js';

/**
 * The console's form fields (actions and operators' pages): a field that does not follow its rule is refused with
 * a page saying which field and what it needs (the value is never repeated), before anything is done.
 */
export const ConsoleFormErrors = defineErrors('consoleForms', {
  CONSOLE_FIELD_INVALID: {
    status: 400,
    description:
      'A console form field is missing or does not follow its rule (the page names the field and what it needs); nothing was done.',
    message: (label: string, rule: string) => `Le champ « ${label} » est invalide : ${rule}. Rien n'a été modifié.`,
  },
});
