import { CampaignsErrors } from './campaigns/campaigns.errors.js';
import { CardsErrors } from './cards/cards.errors.js';
import { ConsoleFormErrors } from './console/actions/actions.errors.js';
import { ConsoleErrors } from './console/console.errors.js';
import { EmissionErrors } from './emission/emission.errors.js';
import { EventsErrors } from './events/events.errors.js';
import { InsightErrors } from './insight/insight.errors.js';
import { OppositionErrors } from './opposition/opposition.errors.js';
import { PartnersErrors } from './partners/partners.errors.js';
import { PhotoErrors } from './photo/photo.errors.js';
import { entriesOf, type ErrorSpec } from './platform/errors/catalogue.js';
import { PlatformErrors } from './platform/errors/platform.errors.js';
import { ReconciliationErrors } from './reconciliation/reconciliation.errors.js';
import { RegimesErrors } from './regimes/regimes.errors.js';
import { RegisterErrors } from './register/register.errors.js';
import { TakeoverErrors } from './takeover/takeover.errors.js';
import { UpdateErrors } from './update/update.errors.js';

/**
 * Every module's error catalogue, in one list: docs/errors.md is generated from it (`npm run docs:errors`), and the
 * tests check that its codes are unique, documented and each used somewhere. A new module's `<module>.errors.ts` is
 * added here.
 */
export const ERROR_CATALOGUES = {
  platform: PlatformErrors,
  partners: PartnersErrors,
  regimes: RegimesErrors,
  register: RegisterErrors,
  cards: CardsErrors,
  emission: EmissionErrors,
  photo: PhotoErrors,
  events: EventsErrors,
  opposition: OppositionErrors,
  update: UpdateErrors,
  campaigns: CampaignsErrors,
  takeover: TakeoverErrors,
  reconciliation: ReconciliationErrors,
  insight: InsightErrors,
  console: ConsoleErrors,
  consoleForms: ConsoleFormErrors,
} as const;

/** Every declared error, module by module. */
export const allErrors = (): ErrorSpec[] => Object.values(ERROR_CATALOGUES).flatMap((c) => entriesOf(c));
