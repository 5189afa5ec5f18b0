import { expect } from 'vitest';
import { ReturnIngestService } from '../../src/emission/returns/return-ingest.service.js';
import { ReturnIntakeService } from '../../src/emission/returns/return-intake.service.js';
import { VENDOR_INBOX } from '../../src/emission/vendors/vendor-folders.js';
import { SftpFolders } from '../../src/platform/sftp/sftp-folders.js';
import { bearer, type TestApp } from './test-app.js';
import { createVendor, returnFile } from './vendor-fixtures.js';

/** Data the operators' console pages show, made through the API as a partner would (one of each per app). */
const made = new WeakMap<TestApp, Map<string, Promise<string>>>();
const once = (t: TestApp, key: string, make: () => Promise<string>): Promise<string> => {
  let m = made.get(t);
  if (!m) made.set(t, (m = new Map()));
  let p = m.get(key);
  if (!p) m.set(key, (p = make()));
  return p;
};

export const exampleCampaign = (t: TestApp) =>
  once(t, 'campaign', async () => {
    const res = await t
      .http()
      .post('/v1/campaigns')
      .set(bearer(t.operatorKey))
      .send({ name: 'Exemple de campagne', cohort: { regimeCodes: ['01'], generation: 1 } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  });

export const exampleRun = (t: TestApp) =>
  once(t, 'run', async () => {
    const res = await t.http().post('/v1/reconciliation/runs').set(bearer(t.operatorKey)).send({ mode: 'dry_run' });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.id as string;
  });

export const exampleList = (t: TestApp) =>
  once(t, 'list', async () => {
    const res = await t.http().post('/v1/opposition-lists').set(bearer(t.operatorKey)).send({ kind: 'full' });
    expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
    return String(res.body.number);
  });

export const exampleTransfer = (t: TestApp) =>
  once(t, 'transfer', async () => {
    const res = await t
      .http()
      .post('/v1/regime-transfers')
      .set(bearer(t.operatorKey))
      .send({
        effectiveDate: new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10),
        mappings: [{ fromOrganismeCode: '177710001', toOrganismeCode: '017510001' }],
      });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.id as string;
  });

const exampleVendor = (t: TestApp) =>
  once(t, 'vendor', async () => JSON.stringify(await createVendor(t, { login: 'fab-exemple' })));

/** A batch row straight into the database (test set-up only: building one takes the whole emission chain). */
export const exampleBatch = (t: TestApp) =>
  once(t, 'batch', async () => {
    const vendor = JSON.parse(await exampleVendor(t)) as { partnerId: string };
    const [{ id }] = await t.dataSource.query(
      `INSERT INTO personalisation_batch (batch_number, vendor_partner_id, card_count) VALUES (990001, $1, 0) RETURNING id`,
      [vendor.partnerId],
    );
    return id as string;
  });

/** A return file dropped in the vendor's inbox, registered and ingested (one line rejected). */
export const exampleReturnFile = (t: TestApp) =>
  once(t, 'return', async () => {
    const vendor = JSON.parse(await exampleVendor(t)) as { partnerId: string; login: string };
    const name = 'RET_EXEMPLE.txt';
    await t.app.get(SftpFolders).publish(vendor.login, VENDOR_INBOX, name, returnFile(vendor.login, ['D|illisible']));
    const id = await t.app.get(ReturnIntakeService).register(vendor, name);
    await t.app.get(ReturnIngestService).ingest(id!);
    return id!;
  });

/** The console-browser catalogue's examples for the operators' pages with path parameters. */
export const OPERATIONS_EXAMPLE_PATHS: Record<string, (t: TestApp) => Promise<string>> = {
  '/console/lots/:id': async (t) => `/console/lots/${await exampleBatch(t)}`,
  '/console/fichiers-retour/:id': async (t) => `/console/fichiers-retour/${await exampleReturnFile(t)}`,
  '/console/campagnes/:id': async (t) => `/console/campagnes/${await exampleCampaign(t)}`,
  '/console/campagnes/:id/entonnoir': async (t) => `/console/campagnes/${await exampleCampaign(t)}/entonnoir`,
  '/console/campagnes/:id/:action': async (t) => `/console/campagnes/${await exampleCampaign(t)}/annulation`,
  '/console/rapprochement/nouvelle/:mode': async () => '/console/rapprochement/nouvelle/application',
  '/console/rapprochement/executions/:id': async (t) => `/console/rapprochement/executions/${await exampleRun(t)}`,
  // A download, not a page (checked in console-operations.test.ts): axe checks the page that links it.
  '/console/rapprochement/executions/:id/rapport.csv': async (t) =>
    `/console/rapprochement/executions/${await exampleRun(t)}`,
  '/console/listes-opposition/:number': async (t) => `/console/listes-opposition/${await exampleList(t)}`,
  '/console/transferts/:id': async (t) => `/console/transferts/${await exampleTransfer(t)}`,
  '/console/transferts/:id/reprise': async (t) => `/console/transferts/${await exampleTransfer(t)}/reprise`,
};
