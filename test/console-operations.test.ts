import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { ReturnIngestService } from '../src/emission/returns/return-ingest.service.js';
import { ReturnIntakeService } from '../src/emission/returns/return-intake.service.js';
import { VENDOR_INBOX, VENDOR_OUTBOX } from '../src/emission/vendors/vendor-folders.js';
import { SftpFolders } from '../src/platform/sftp/sftp-folders.js';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service.js';
import { UNKNOWN_SERIAL } from './support/card-fixtures.js';
import { createVendor, makeCard, ret2Line, returnFile } from './support/vendor-fixtures.js';
import { createAgent, signInHttp } from './support/console.js';
import { exampleList, exampleTransfer } from './support/console-operations.js';
import { insertBeneficiary, insertCard, makeNir } from './support/factories.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const ORG_A = '017510001';
const ORG_B = '016910001';

/**
 * The operators' console pages over HTTP (issue 15 item 3): batches aside, opposition lists and signing keys,
 * regime transfers, reconciliation runs and campaigns, through the modules' services with the agent's actor.
 */
describe('console: operators pages', () => {
  let t: TestApp;
  let op: { cookie: string; csrf: string };
  let fundA: { cookie: string; csrf: string };
  let fundB: { cookie: string; csrf: string };
  let operatorId: string;

  const get = (path: string, s = op) => t.http().get(path).set('cookie', s.cookie);
  const post = (path: string, form: Record<string, string>, s = op) =>
    t
      .http()
      .post(path)
      .set('cookie', s.cookie)
      .type('form')
      .send({ _csrf: s.csrf, ...form });
  const count = async (sql: string, params: unknown[] = []) => Number((await t.dataSource.query(sql, params))[0].n);

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false, campaignDailyCapacity: 100 });
    for (const org of [ORG_A, ORG_A, ORG_B]) {
      const b = await insertBeneficiary(t.dataSource, { organismeCode: org, nir: makeNir(undefined, '1980-01-01') });
      const card = await insertCard(t.dataSource, { beneficiaryId: b.id, organismeCode: org, state: CardState.Active });
      await t.dataSource.query(
        `UPDATE card SET generation = 1, shipped_at = now() - interval '5 years' WHERE id = $1`,
        [card.id],
      );
      // The fund B holder also holds a card taken over from the old base: a surplus for reconciliation.
      if (org === ORG_B) {
        const [[{ serial }]] = await t.dataSource.query(
          `UPDATE serial_allocator SET next_serial = next_serial + 1 WHERE id = 1 RETURNING (next_serial - 1)::text AS serial`,
        );
        const [{ id }] = await t.dataSource.query(
          `INSERT INTO card (serial, beneficiary_id, organisme_code, state, origin, generation, awaiting_reconciliation)
           VALUES ($1, $2, $3, 'active', 'imported', 2, true) RETURNING id`,
          [serial, b.id, org],
        );
        await t.dataSource.query(`INSERT INTO imported_card (card_id, issued_on) VALUES ($1, '2016-03-01')`, [id]);
      }
    }
    const operator = await createAgent(t);
    operatorId = operator.id;
    op = await signInHttp(t, operator);
    fundA = await signInHttp(t, await createAgent(t, { kind: 'fund', organismeCode: ORG_A }));
    fundB = await signInHttp(t, await createAgent(t, { kind: 'fund', organismeCode: ORG_B }));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('campaigns: sizes a cohort, defines a campaign, confirms its start; each fund sees its own funnel only', async () => {
    const cohort = { regimeCodes: '01', generation: '1', minAge: '16' };
    const dry = await post('/console/campagnes/simulation', cohort);
    expect(dry.status).toBe(200);
    expect(dry.text).toMatch(/id="cohort-size">3</);
    expect(await count(`SELECT count(*) AS n FROM campaign`)).toBe(0);

    const defined = await post('/console/campagnes', { ...cohort, name: 'Renouvellement sans photo' });
    expect(defined.status, defined.text).toBe(303);
    const url = defined.headers.location as string;
    const id = url.split('/').pop()!;
    const page = await get(url);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Renouvellement sans photo');
    expect(page.text).toContain('Prête');
    const audit = await t.dataSource.query(
      `SELECT actor_agent_id FROM audit_entry WHERE entity_id = $1 ORDER BY id LIMIT 1`,
      [id],
    );
    expect(audit[0]?.actor_agent_id).toBe(operatorId);

    const confirm = await get(`${url}/demarrage`);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('La première vague part aussitôt');
    expect((await post(`${url}/demarrage`, {})).status).toBe(303);
    await t.http().post('/v1/campaigns/run-waves').set(bearer(t.operatorKey)).send();
    const running = await get(url);
    // The first wave reached the whole cohort at once: the campaign is complete.
    expect(running.text).toMatch(/id="campaign-status"><p[^>]*>Terminée</);
    const sent = (body: string) => /Formulaires envoyés<\/td>\s*<td>(\d+)</.exec(body)?.[1];
    expect(sent(running.text)).toBe('3');

    const a = await get(`${url}/entonnoir`, fundA);
    expect(a.status).toBe(200);
    expect(sent(a.text)).toBe('2');
    expect(a.text).toContain(ORG_A);
    const b = await get(`${url}/entonnoir`, fundB);
    expect(sent(b.text)).toBe('1');
    expect(b.text).not.toContain(ORG_A);
  });

  it('a fund agent gets 403 on the operators pages and forms, nothing changed', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    for (const path of [
      '/console/campagnes',
      '/console/campagnes/nouvelle',
      `/console/campagnes/${id}`,
      '/console/listes-opposition',
      '/console/cles-de-signature',
      '/console/transferts',
      '/console/rapprochement/nouvelle/simulation',
    ]) {
      const res = await get(path, fundA);
      expect(res.status, path).toBe(403);
      expect(res.text, path).toContain('CONSOLE_ROLE_FORBIDDEN');
    }
    const runs = await count(`SELECT count(*) AS n FROM reconciliation_run`);
    const res = await post('/console/rapprochement/executions', { mode: 'simulation' }, fundA);
    expect(res.status).toBe(403);
    expect(await count(`SELECT count(*) AS n FROM reconciliation_run`)).toBe(runs);
    expect((await post('/console/cles-de-signature/rotation', {}, fundA)).status).toBe(403);
  });

  it('refuses a form without its CSRF token, nothing changed', async () => {
    const before = await count(`SELECT count(*) AS n FROM campaign`);
    const res = await t
      .http()
      .post('/console/campagnes')
      .set('cookie', op.cookie)
      .type('form')
      .send({ regimeCodes: '01', name: 'Sans jeton' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('CONSOLE_CSRF_INVALID');
    expect(await count(`SELECT count(*) AS n FROM campaign`)).toBe(before);
    const keys = (await get('/console/cles-de-signature')).text.match(/<code>/g)?.length;
    const rotate = await t
      .http()
      .post('/console/cles-de-signature/rotation')
      .set('cookie', op.cookie)
      .type('form')
      .send({});
    expect(rotate.status).toBe(403);
    expect((await get('/console/cles-de-signature')).text.match(/<code>/g)?.length).toBe(keys);
  });

  it('bad form input answers the HTML error page with a 4xx, nothing changed', async () => {
    const before = await count(`SELECT count(*) AS n FROM campaign`);
    for (const form of <Record<string, string>[]>[
      { regimeCodes: 'abc', name: 'Mauvais régime' },
      { regimeCodes: '01', name: 'Âge', minAge: 'douze' },
      { regimeCodes: '01', name: '' },
      { regimeCodes: '', name: 'Sans régime' },
    ]) {
      const res = await post('/console/campagnes', form);
      expect(res.status, JSON.stringify(form)).toBe(400);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('VALIDATION_FAILED');
      expect(res.text).not.toContain('douze');
    }
    expect(await count(`SELECT count(*) AS n FROM campaign`)).toBe(before);

    const runs = await count(`SELECT count(*) AS n FROM reconciliation_run`);
    const bad = await post('/console/rapprochement/executions', { mode: 'tout' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('VALIDATION_FAILED');
    expect(await count(`SELECT count(*) AS n FROM reconciliation_run`)).toBe(runs);

    expect((await get('/console/campagnes?apres=nimporte')).status).toBe(400);
    expect((await get('/console/listes-opposition?avant=x')).status).toBe(400);
    expect((await get('/console/transferts/pas-un-id')).status).toBe(400);
    const missing = await get('/console/campagnes/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('CAMPAIGN_NOT_FOUND');
    expect((await get('/console/campagnes/00000000-0000-4000-8000-000000000000/autre')).status).toBe(404);
  });

  it('reconciliation: a confirmed dry run, its counts and CSV report; a fund reads its own organisme only', async () => {
    const confirm = await get('/console/rapprochement/nouvelle/simulation');
    expect(confirm.text).toContain('aucune carte n&#39;est modifiée');
    const res = await post('/console/rapprochement/executions', { mode: 'simulation' });
    expect(res.status, res.text).toBe(303);
    const url = res.headers.location as string;
    const id = url.split('/').pop()!;
    expect((await get(url)).text).toContain('En attente');
    await t.app.get(ReconciliationService).process(id);
    const page = await get(url);
    expect(page.text).toContain('Terminée');
    expect(page.text).toContain('Surnuméraire');
    expect(page.text).toContain(ORG_B);
    const list = await get('/console/rapprochement');
    expect(list.text).toContain(`/console/rapprochement/executions/${id}`);

    const csv = await get(`${url}/rapport.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text).toMatch(/^serial;/);
    expect(csv.text).toContain(ORG_B);
    const fundCsv = await get(`${url}/rapport.csv`, fundA);
    expect(fundCsv.status).toBe(200);
    expect(fundCsv.text).not.toContain(ORG_B);
    const fundPage = await get(url, fundA);
    expect(fundPage.status).toBe(200);
    expect(fundPage.text).not.toContain(ORG_B);
    expect(fundPage.text).not.toContain('Lancer une');
  });

  it('opposition lists and signing keys: the list, its signature and counts; a confirmed rotation', async () => {
    const number = await exampleList(t);
    const lists = await get('/console/listes-opposition');
    expect(lists.status).toBe(200);
    expect(lists.text).toContain(`href="/console/listes-opposition/${number}"`);
    const one = await get(`/console/listes-opposition/${number}`);
    expect(one.status).toBe(200);
    const api = await t.http().get(`/v1/opposition-lists/${number}/signature`).set(bearer(t.operatorKey));
    expect(one.text).toContain(api.body.text.signature);
    expect(one.text).toContain(api.body.compact.sha256);
    expect((await get('/console/listes-opposition/999999')).status).toBe(404);

    const keys = async () =>
      (await t.http().get('/v1/signing-keys').set(bearer(t.operatorKey))).body.items as {
        keyId: string;
        current: boolean;
      }[];
    const before = await keys();
    const page = await get('/console/cles-de-signature');
    expect(page.text).toContain(before.find((k) => k.current)!.keyId);
    expect((await get('/console/cles-de-signature/rotation')).text).toContain('Confirmer');
    const rotated = await post('/console/cles-de-signature/rotation', {});
    expect(rotated.status).toBe(303);
    const after = await keys();
    expect(after.length).toBe(before.length + 1);
    const current = after.find((k) => k.current)!;
    expect(before.map((k) => k.keyId)).not.toContain(current.keyId);
    const audit = await t.dataSource.query(
      `SELECT actor_agent_id FROM audit_entry WHERE action = 'signing_key.rotated' AND entity_id = $1`,
      [current.keyId],
    );
    expect(audit).toEqual([{ actor_agent_id: operatorId }]);
  });

  it('regime transfers: the list and a transfer with its progress', async () => {
    const id = await exampleTransfer(t);
    const list = await get('/console/transferts');
    expect(list.status).toBe(200);
    expect(list.text).toContain(`/console/transferts/${id}`);
    const page = await get(`/console/transferts/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('177710001');
    expect(page.text).toMatch(/<progress id="transfer-progress"/);
    expect((await get('/console/transferts/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('batches and return files: newest first, a batch with its cards by state, a return file with its reject lines', async () => {
    const vendor = await createVendor(t, { login: 'fab-console' });
    const batches: string[] = [];
    for (const n of [901, 902]) {
      const [{ id }] = await t.dataSource.query(
        `INSERT INTO personalisation_batch (batch_number, vendor_partner_id, card_count) VALUES ($1, $2, 2) RETURNING id`,
        [n, vendor.partnerId],
      );
      batches.push(id);
    }
    const b = await insertBeneficiary(t.dataSource, { organismeCode: ORG_A, nir: makeNir(undefined, '1970-02-02') });
    const c1 = await insertCard(t.dataSource, { beneficiaryId: b.id, organismeCode: ORG_A, state: CardState.Shipped });
    await t.dataSource.query(`UPDATE card SET batch_id = $2 WHERE id = $1`, [c1.id, batches[1]]);

    const list = await get('/console/lots');
    expect(list.status).toBe(200);
    expect(list.text.indexOf('>902<')).toBeGreaterThan(0);
    expect(list.text.indexOf('>902<')).toBeLessThan(list.text.indexOf('>901<'));
    expect((await get('/console/lots?avant=902')).text).not.toContain('>902<');
    const batch = await get(`/console/lots/${batches[1]}`);
    expect(batch.status).toBe(200);
    expect(batch.text).toMatch(/id="batch-cards">2</);
    expect(batch.text).toMatch(/<td>shipped<\/td>\s*<td>1<\/td>/);
    expect((await get('/console/lots/00000000-0000-4000-8000-000000000000')).status).toBe(404);

    const now = new Date().toISOString();
    const name = 'RET_CONSOLE_1.txt';
    await t.app
      .get(SftpFolders)
      .publish(
        vendor.login,
        VENDOR_INBOX,
        name,
        returnFile(vendor.login, [
          ret2Line(makeCard(UNKNOWN_SERIAL), 'SHIPPED', { personalisedAt: now }),
          'D|nonsense',
        ]),
      );
    const id = await t.app
      .get(ReturnIntakeService)
      .register({ partnerId: vendor.partnerId, login: vendor.login }, name);
    expect(id).toBeTruthy();
    await t.app.get(ReturnIngestService).ingest(id!);
    const files = await get('/console/fichiers-retour');
    expect(files.status).toBe(200);
    expect(files.text).toContain(`href="/console/fichiers-retour/${id}"`);
    const file = await get(`/console/fichiers-retour/${id}`);
    expect(file.status).toBe(200);
    expect(file.text).toMatch(/id="return-counts">2 \/ 0 \/ 2</);
    const rows = [...file.text.matchAll(/<td>(\d+)<\/td>\s*<td><code>([A-Z_]+)<\/code><\/td>/g)].map((m) => [
      m[1],
      m[2],
    ]);
    // Line numbers of the file itself (the header is line 1).
    expect(rows.map((r) => r[0])).toEqual(['2', '3']);
    expect(rows.every((r) => r[1].length > 0)).toBe(true);
    expect(file.text).toContain('<th scope="col">Motif</th>');
    // The vendor takes its reject file away: the lines stay on the page, kept with the file at ingestion.
    rmSync(t.app.get(SftpFolders).file(vendor.login, VENDOR_OUTBOX, `REJ_${name}`));
    const after = await get(`/console/fichiers-retour/${id}`);
    expect(after.text).not.toContain("n'est plus dans le dépôt");
    expect(
      [...after.text.matchAll(/<td>(\d+)<\/td>\s*<td><code>([A-Z_]+)<\/code><\/td>/g)].map((m) => [m[1], m[2]]),
    ).toEqual(rows);
    expect((await get('/console/fichiers-retour?avant=zz')).status).toBe(400);
    expect((await get('/console/lots', fundA)).status).toBe(403);
    expect((await get(`/console/fichiers-retour/${id}`, fundA)).status).toBe(403);
  });
});
