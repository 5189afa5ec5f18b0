import { expect } from 'vitest';
import { bearer, type TestApp } from './test-app.js';

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

/** The console-browser catalogue's examples for the operators' pages with path parameters. */
export const OPERATIONS_EXAMPLE_PATHS: Record<string, (t: TestApp) => Promise<string>> = {
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
