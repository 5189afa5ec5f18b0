import { formatSerial } from '../../src/cards/card-serial.js';
import { CardState } from '../../src/cards/card-state.enum.js';
import { PartnerKind } from '../../src/partners/partner-kind.enum.js';
import { insertRequest } from './event-fixtures.js';
import { insertBeneficiary, insertCard } from './factories.js';
import type { TestApp } from './test-app.js';

/** The fund of the agents createAgent makes by default: the examples are theirs, so both roles see them. */
const ORG = '017510001';

/**
 * How to reach the console's action pages and operators' partner pages, for the axe catalogue test (EXAMPLE_PATHS
 * in test/console-browser.test.ts): data made through fixtures, visible to the default fund agent and operators.
 */
export const CONSOLE_ACTIONS_EXAMPLE_PATHS: Record<string, (t: TestApp) => Promise<string>> = {
  '/console/cartes/:serial/opposition': async (t) => {
    const b = await insertBeneficiary(t.dataSource, { organismeCode: ORG });
    const card = await insertCard(t.dataSource, { beneficiaryId: b.id, organismeCode: ORG, state: CardState.Active });
    return `/console/cartes/${formatSerial(card.serial)}/opposition`;
  },
  '/console/demandes/:id/annulation': async (t) =>
    `/console/demandes/${(await insertRequest(t.dataSource, { organismeCode: ORG })).id}/annulation`,
  '/console/assures/:id/remplacement': async (t) =>
    `/console/assures/${(await insertBeneficiary(t.dataSource, { organismeCode: ORG })).id}/remplacement`,
  '/console/assures/:id/mutation': async (t) =>
    `/console/assures/${(await insertBeneficiary(t.dataSource, { organismeCode: ORG })).id}/mutation`,
  '/console/partenaires/:id': async (t) => `/console/partenaires/${(await t.partner(PartnerKind.Kiosk)).id}`,
  '/console/partenaires/:id/cles/:keyId/revocation': async (t) => {
    const partner = await t.partner(PartnerKind.Kiosk);
    const [{ id }] = await t.dataSource.query(`SELECT id FROM api_key WHERE partner_id = $1`, [partner.id]);
    return `/console/partenaires/${partner.id}/cles/${id}/revocation`;
  },
};
