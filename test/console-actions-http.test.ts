import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSerial } from '../src/cards/card-serial.js';
import { CardState } from '../src/cards/card-state.enum.js';
import { RequestStatus } from '../src/emission/requests/request-status.enum.js';
import { parisDayStart } from '../src/console/operators/operators.controller.js';
import { createAgent, signInHttp, type TestAgent } from './support/console.js';
import { insertRequest } from './support/event-fixtures.js';
import { insertBeneficiary, insertCard } from './support/factories.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';
import { sshKeyPair, ageKeyPair, createVendor } from './support/vendor-fixtures.js';

const MINE = '017510001';
const OTHER = '016910001';

/**
 * The console's actions and operators' pages over HTTP, on the real app and PostgreSQL: each action moves what it
 * should through the module's service and is audited with the agent; another fund's card, request or insured is
 * "not found" and stays as it was; a form without the CSRF token or with a bad field changes nothing.
 */
describe('console actions and operators pages over HTTP', () => {
  let t: TestApp;
  let fund: TestAgent;
  let operator: TestAgent;
  let fundSession: { cookie: string; csrf: string };
  let operatorSession: { cookie: string; csrf: string };

  const get = (s: { cookie: string }, path: string) => t.http().get(path).set('cookie', s.cookie);
  const post = (s: { cookie: string; csrf: string }, path: string, form: Record<string, string> = {}, csrf = true) =>
    t
      .http()
      .post(path)
      .set('cookie', s.cookie)
      .type('form')
      .send(csrf ? { _csrf: s.csrf, ...form } : form);
  const auditOf = (agentId: string, entityId: string): Promise<{ action: string }[]> =>
    t.dataSource.query(`SELECT action FROM audit_entry WHERE actor_agent_id = $1 AND entity_id = $2 ORDER BY id`, [
      agentId,
      entityId,
    ]);
  const cardState = async (id: string): Promise<string> =>
    (await t.dataSource.query(`SELECT state FROM card WHERE id = $1`, [id]))[0].state;
  const requestStatus = async (id: string): Promise<string> =>
    (await t.dataSource.query(`SELECT status FROM card_request WHERE id = $1`, [id]))[0].status;

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    fund = await createAgent(t, { kind: 'fund', organismeCode: MINE });
    operator = await createAgent(t);
    fundSession = await signInHttp(t, fund);
    operatorSession = await signInHttp(t, operator);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('declares an opposition after its confirmation page, then withdraws it, each audited with the agent', async () => {
    const b = await insertBeneficiary(t.dataSource, { organismeCode: MINE });
    const card = await insertCard(t.dataSource, { beneficiaryId: b.id, organismeCode: MINE, state: CardState.Active });
    const serial = formatSerial(card.serial);
    const page = await get(fundSession, `/console/cartes/${serial}/opposition`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Confirmer l'opposition");
    expect(page.text).toContain("liste d'opposition");

    const declared = await post(fundSession, `/console/cartes/${serial}/opposition`, { reason: 'stolen' });
    expect(declared.status).toBe(303);
    expect(declared.headers.location).toBe(`/console/cartes/${serial}/opposition`);
    expect(await cardState(card.id)).toBe('opposed');
    const [{ opposition_reason }] = await t.dataSource.query(`SELECT opposition_reason FROM card WHERE id = $1`, [
      card.id,
    ]);
    expect(opposition_reason).toBe('stolen');
    expect((await auditOf(fund.id, card.id)).map((e) => e.action)).toEqual(['card.oppose']);

    const after = await get(fundSession, `/console/cartes/${serial}/opposition`);
    expect(after.text).toContain("Confirmer le retrait de l'opposition");
    const withdrawn = await post(fundSession, `/console/cartes/${serial}/opposition/retrait`);
    expect(withdrawn.status).toBe(303);
    expect(await cardState(card.id)).toBe('active');
    expect((await auditOf(fund.id, card.id)).map((e) => e.action)).toEqual(['card.oppose', 'card.withdraw_opposition']);
    // Withdrawn twice: the error page speaks French (the API's message is for programs), with the code beside it.
    const again = await post(fundSession, `/console/cartes/${serial}/opposition/retrait`);
    expect(again.status).toBe(409);
    expect(again.text).toContain('Code : <code>CARD_NOT_OPPOSED</code>');
    expect(again.text).toContain('La carte n&#39;est pas en opposition.');
    expect(again.text).not.toContain('The card is not in opposition');
  });

  it("links to each action from the insured's page and the card found, where it applies and for who may do it", async () => {
    const b = await insertBeneficiary(t.dataSource, { organismeCode: MINE });
    const active = await insertCard(t.dataSource, {
      beneficiaryId: b.id,
      organismeCode: MINE,
      state: CardState.Active,
    });
    const opposed = await insertCard(t.dataSource, {
      beneficiaryId: b.id,
      organismeCode: MINE,
      state: CardState.Opposed,
    });
    const cancelled = await insertCard(t.dataSource, {
      beneficiaryId: b.id,
      organismeCode: MINE,
      state: CardState.Cancelled,
    });
    const [a, o, c] = [active, opposed, cancelled].map((x) => formatSerial(x.serial));
    const waiting = await insertRequest(t.dataSource, { organismeCode: MINE, beneficiaryId: b.id });
    // One open request an insured: the ordered one is another's.
    const b2 = await insertBeneficiary(t.dataSource, { organismeCode: MINE });
    const ordered = await insertRequest(t.dataSource, {
      organismeCode: MINE,
      beneficiaryId: b2.id,
      status: RequestStatus.Ordered,
    });
    const hrefs = (text: string) => [...text.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);

    const forFund = hrefs((await get(fundSession, `/console/assures/${b.id}`)).text);
    expect(forFund).toContain(`/console/cartes/${a}/opposition`);
    expect(forFund).toContain(`/console/cartes/${o}/opposition`);
    expect(forFund).not.toContain(`/console/cartes/${c}/opposition`);
    // A fund cancels until the card is ordered; an operator until the vendor has it.
    expect(forFund).toContain(`/console/demandes/${waiting.id}/annulation`);
    const fundB2 = await get(fundSession, `/console/assures/${b2.id}`);
    expect(fundB2.text).toContain('Carte commandée');
    expect(hrefs(fundB2.text)).not.toContain(`/console/demandes/${ordered.id}/annulation`);
    expect(forFund).toContain(`/console/assures/${b.id}/mutation`);
    // A request is open: no replacement can be ordered.
    expect(forFund).not.toContain(`/console/assures/${b.id}/remplacement`);

    const forOperator = hrefs((await get(operatorSession, `/console/assures/${b.id}`)).text);
    expect(forOperator).toContain(`/console/cartes/${a}/opposition`);
    expect(forOperator).toContain(`/console/demandes/${waiting.id}/annulation`);
    expect(hrefs((await get(operatorSession, `/console/assures/${b2.id}`)).text)).toContain(
      `/console/demandes/${ordered.id}/annulation`,
    );
    expect(forOperator).toContain(`/console/assures/${b.id}/mutation`);
    expect(forOperator).not.toContain(`/console/assures/${b.id}/remplacement`);

    const alone = await insertBeneficiary(t.dataSource, { organismeCode: MINE });
    expect(hrefs((await get(fundSession, `/console/assures/${alone.id}`)).text)).toContain(
      `/console/assures/${alone.id}/remplacement`,
    );

    // Every link leads to its page (200), and the card found by its serial links to its opposition.
    for (const href of forFund.filter((h) => /\/(opposition|annulation|mutation)$/.test(h)))
      expect((await get(fundSession, href)).status, href).toBe(200);
    expect(hrefs((await get(fundSession, `/console/recherche/carte?numero=${a}`)).text)).toContain(
      `/console/cartes/${a}/opposition`,
    );
    expect(hrefs((await get(fundSession, `/console/recherche/carte?numero=${c}`)).text)).not.toContain(
      `/console/cartes/${c}/opposition`,
    );
  });

  it('the opposition form preselects no reason; sent without one, it answers its French message and opposes nothing', async () => {
    const b = await insertBeneficiary(t.dataSource, { organismeCode: MINE });
    const card = await insertCard(t.dataSource, { beneficiaryId: b.id, organismeCode: MINE, state: CardState.Active });
    const serial = formatSerial(card.serial);
    const page = await get(fundSession, `/console/cartes/${serial}/opposition`);
    expect(page.text).toMatch(/type="radio"[^>]*name="reason"/);
    expect(page.text).not.toMatch(/<input[^>]*type="radio"[^>]*\bchecked\b/);
    const missing = await post(fundSession, `/console/cartes/${serial}/opposition`, {});
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('Code : <code>CONSOLE_FIELD_INVALID</code>');
    expect(missing.text).toContain('Motif de l&#39;opposition');
    expect(missing.text).toContain('choisissez un motif de la liste');
    expect(await cardState(card.id)).toBe('active');
  });

  it("refuses another fund's card as not found, a bad reason and a missing CSRF token; nothing changes", async () => {
    const theirs = await insertBeneficiary(t.dataSource, { organismeCode: OTHER });
    const theirCard = await insertCard(t.dataSource, {
      beneficiaryId: theirs.id,
      organismeCode: OTHER,
      state: CardState.Active,
    });
    const serial = formatSerial(theirCard.serial);
    const page = await get(fundSession, `/console/cartes/${serial}/opposition`);
    expect(page.status).toBe(404);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('CARD_NOT_FOUND');
    expect(page.text).toContain('Aucune carte de ce numéro de série parmi celles que vous pouvez voir');
    const declared = await post(fundSession, `/console/cartes/${serial}/opposition`, { reason: 'lost' });
    expect(declared.status).toBe(404);
    expect(declared.text).toContain('CARD_NOT_FOUND');
    expect(await cardState(theirCard.id)).toBe('active');

    const b = await insertBeneficiary(t.dataSource, { organismeCode: MINE });
    const card = await insertCard(t.dataSource, { beneficiaryId: b.id, organismeCode: MINE, state: CardState.Active });
    const mine = formatSerial(card.serial);
    const bad = await post(fundSession, `/console/cartes/${mine}/opposition`, { reason: 'replaced' });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^text\/html/);
    expect(bad.text).toContain('CONSOLE_FIELD_INVALID');
    expect(bad.text).not.toContain('replaced');
    const missing = await post(fundSession, `/console/cartes/${mine}/opposition`, {});
    expect(missing.status).toBe(400);
    const noCsrf = await post(fundSession, `/console/cartes/${mine}/opposition`, { reason: 'lost' }, false);
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.text).toContain('CONSOLE_CSRF_INVALID');
    expect(await cardState(card.id)).toBe('active');
    expect(await auditOf(fund.id, card.id)).toEqual([]);
  });

  it('cancels a request: a fund its own (another fund’s is not found), an operator any before the vendor', async () => {
    const own = await insertRequest(t.dataSource, {
      organismeCode: MINE,
      status: RequestStatus.FormSent,
      idleHours: 400,
    });
    const theirs = await insertRequest(t.dataSource, { organismeCode: OTHER, status: RequestStatus.FormSent });
    const page = await get(fundSession, `/console/demandes/${own.id}/annulation`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Confirmer l'annulation");
    expect((await get(fundSession, `/console/demandes/${theirs.id}/annulation`)).status).toBe(404);
    const refused = await post(fundSession, `/console/demandes/${theirs.id}/annulation`);
    expect(refused.status).toBe(404);
    expect(await requestStatus(theirs.id)).toBe('form_sent');
    const noCsrf = await post(fundSession, `/console/demandes/${own.id}/annulation`, {}, false);
    expect(noCsrf.status).toBe(403);
    expect(await requestStatus(own.id)).toBe('form_sent');

    const done = await post(fundSession, `/console/demandes/${own.id}/annulation`);
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(`/console/demandes/${own.id}/annulation`);
    expect(await requestStatus(own.id)).toBe('cancelled');
    expect((await auditOf(fund.id, own.id)).map((e) => e.action)).toEqual(['card_request.cancelled']);
    expect((await get(fundSession, done.headers.location)).text).toContain('Cette demande est annulée');

    const byOperator = await post(operatorSession, `/console/demandes/${theirs.id}/annulation`);
    expect(byOperator.status).toBe(303);
    expect(await requestStatus(theirs.id)).toBe('cancelled');
    expect((await auditOf(operator.id, theirs.id)).map((e) => e.action)).toEqual(['card_request.cancelled']);
    // Cancelled already: refused, with its code, as the API refuses it.
    const again = await post(operatorSession, `/console/demandes/${theirs.id}/annulation`);
    expect(again.status).toBe(409);
    expect(again.text).toContain('PIPELINE_CANNOT_CANCEL');
  });

  it('orders a replacement card for its own insured and shows the upload link once; not for another fund’s', async () => {
    const b = await insertBeneficiary(t.dataSource, { organismeCode: MINE });
    await insertCard(t.dataSource, { beneficiaryId: b.id, organismeCode: MINE, state: CardState.Active });
    const page = await get(fundSession, `/console/assures/${b.id}/remplacement`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Confirmer la commande');
    const bad = await post(fundSession, `/console/assures/${b.id}/remplacement`, { reason: 'first_card' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('CONSOLE_FIELD_INVALID');
    const res = await post(fundSession, `/console/assures/${b.id}/remplacement`, {
      reason: 'damaged',
      autoOrder: 'oui',
    });
    expect(res.status).toBe(200);
    const link = /id="upload-link">([^<]+)</.exec(res.text)?.[1];
    expect(link).toMatch(/^\/v1\/photo-uploads\//);
    const rows = await t.dataSource.query(
      `SELECT id, reason, auto_order, status FROM card_request WHERE beneficiary_id = $1`,
      [b.id],
    );
    expect(rows).toEqual([{ id: expect.any(String), reason: 'damaged', auto_order: true, status: 'form_sent' }]);
    expect((await auditOf(fund.id, rows[0].id)).map((e) => e.action)).toEqual(['card_request.created']);

    const theirs = await insertBeneficiary(t.dataSource, { organismeCode: OTHER });
    expect((await get(fundSession, `/console/assures/${theirs.id}/remplacement`)).status).toBe(404);
    const refused = await post(fundSession, `/console/assures/${theirs.id}/remplacement`, { reason: 'lost' });
    expect(refused.status).toBe(404);
    expect(await t.dataSource.query(`SELECT 1 FROM card_request WHERE beneficiary_id = $1`, [theirs.id])).toEqual([]);
    // The API's rule: a fund orders cards; an operator's agent does not get the page.
    expect((await get(operatorSession, `/console/assures/${b.id}/remplacement`)).status).toBe(403);
  });

  it('starts a change of fund: the affiliation and the card move, audited with the agent; bad input changes nothing', async () => {
    const b = await insertBeneficiary(t.dataSource, { organismeCode: MINE });
    const card = await insertCard(t.dataSource, { beneficiaryId: b.id, organismeCode: MINE, state: CardState.Active });
    const page = await get(fundSession, `/console/assures/${b.id}/mutation`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Confirmer le changement d'organisme");
    const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Paris' });
    const bad = await post(fundSession, `/console/assures/${b.id}/mutation`, {
      toOrganismeCode: '12',
      effectiveDate: today,
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('CONSOLE_FIELD_INVALID');
    const unknown = await post(fundSession, `/console/assures/${b.id}/mutation`, {
      toOrganismeCode: '999999999',
      effectiveDate: today,
    });
    expect(unknown.status).toBe(422);
    expect(unknown.text).toContain('ORGANISME_UNKNOWN');
    const theirs = await insertBeneficiary(t.dataSource, { organismeCode: OTHER });
    const refused = await post(fundSession, `/console/assures/${theirs.id}/mutation`, {
      toOrganismeCode: MINE,
      effectiveDate: today,
    });
    expect(refused.status).toBe(404);
    // Only the confirmation page's read of the insured (every read of personal data is audited).
    expect((await auditOf(fund.id, b.id)).map((e) => e.action)).toEqual(['beneficiary.read']);
    expect(
      await t.dataSource.query(`SELECT 1 FROM card_mutation WHERE beneficiary_id = ANY($1)`, [[b.id, theirs.id]]),
    ).toEqual([]);

    const res = await post(fundSession, `/console/assures/${b.id}/mutation`, {
      toOrganismeCode: OTHER,
      effectiveDate: today,
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/console/assures/mutation-enregistree');
    const [{ organisme_code }] = await t.dataSource.query(`SELECT organisme_code FROM card WHERE id = $1`, [card.id]);
    expect(organisme_code).toBe(OTHER);
    expect((await auditOf(fund.id, b.id)).map((e) => e.action)).toContain('beneficiary.mutation_recorded');
    // The outgoing fund no longer sees the insured.
    expect((await get(fundSession, `/console/assures/${b.id}/mutation`)).status).toBe(404);
  });

  it('creates an API key shown once (it works), lists it by prefix only, revokes it after confirmation', async () => {
    const partner = await t.partner((await import('../src/partners/partner-kind.enum.js')).PartnerKind.Kiosk);
    const list = await get(operatorSession, '/console/partenaires');
    expect(list.status).toBe(200);
    expect(list.text).toContain(`/console/partenaires/${partner.id}`);
    expect((await get(fundSession, '/console/partenaires')).status).toBe(403);

    const created = await post(operatorSession, `/console/partenaires/${partner.id}/cles`, { label: 'borne 2027' });
    expect(created.status).toBe(200);
    const key = /id="api-key">([^<]+)</.exec(created.text)?.[1] ?? '';
    expect((await t.http().get('/v1/me').set(bearer(key))).status).toBe(200);
    const detail = await get(operatorSession, `/console/partenaires/${partner.id}`);
    expect(detail.text).toContain('borne 2027');
    expect(detail.text).not.toContain(key);
    const [{ id: keyId }] = await t.dataSource.query(
      `SELECT id FROM api_key WHERE partner_id = $1 AND label = 'borne 2027'`,
      [partner.id],
    );
    expect((await auditOf(operator.id, keyId)).map((e) => e.action)).toEqual(['api-key.created']);

    const confirm = await get(operatorSession, `/console/partenaires/${partner.id}/cles/${keyId}/revocation`);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('Confirmer la révocation');
    const noCsrf = await post(
      operatorSession,
      `/console/partenaires/${partner.id}/cles/${keyId}/revocation`,
      {},
      false,
    );
    expect(noCsrf.status).toBe(403);
    expect((await t.http().get('/v1/me').set(bearer(key))).status).toBe(200);
    const revoked = await post(operatorSession, `/console/partenaires/${partner.id}/cles/${keyId}/revocation`);
    expect(revoked.status).toBe(303);
    expect((await t.http().get('/v1/me').set(bearer(key))).status).toBe(401);
    expect((await auditOf(operator.id, keyId)).map((e) => e.action)).toEqual(['api-key.created', 'api-key.revoked']);
    const badLabel = await post(operatorSession, `/console/partenaires/${partner.id}/cles`, { label: 'x'.repeat(121) });
    expect(badLabel.status).toBe(400);
    expect(badLabel.text).toContain('CONSOLE_FIELD_INVALID');
  });

  it('adds and revokes a vendor SSH key and sets its age recipient; a bad key line is refused', async () => {
    const vendor = await createVendor(t, { login: `fab_${process.pid % 100000}`, ageRecipient: false });
    const page = await get(operatorSession, '/console/fabricants');
    expect(page.status).toBe(200);
    expect(page.text).toContain(vendor.login);
    const keys = sshKeyPair();
    const added = await post(operatorSession, `/console/fabricants/${vendor.partnerId}/cles-ssh`, {
      publicKey: keys.publicKey,
    });
    expect(added.status).toBe(303);
    const rows = await t.dataSource.query(
      `SELECT id, revoked_at FROM sftp_public_key WHERE partner_id = $1 ORDER BY created_at`,
      [vendor.partnerId],
    );
    expect(rows).toHaveLength(2);
    const bad = await post(operatorSession, `/console/fabricants/${vendor.partnerId}/cles-ssh`, {
      publicKey: 'not a key',
    });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    const revoke = await post(
      operatorSession,
      `/console/fabricants/${vendor.partnerId}/cles-ssh/${rows[1].id}/revocation`,
    );
    expect(revoke.status).toBe(303);
    const [{ revoked_at }] = await t.dataSource.query(`SELECT revoked_at FROM sftp_public_key WHERE id = $1`, [
      rows[1].id,
    ]);
    expect(revoked_at).not.toBeNull();
    const age = await ageKeyPair();
    const set = await post(operatorSession, `/console/fabricants/${vendor.partnerId}/destinataire-age`, {
      recipient: age.recipient,
    });
    expect(set.status).toBe(303);
    expect((await get(operatorSession, '/console/fabricants')).text).toContain(age.recipient);
    const actions = await t.dataSource.query(
      `SELECT action FROM audit_entry WHERE actor_agent_id = $1 AND action LIKE 'vendor.%' ORDER BY id`,
      [operator.id],
    );
    expect(actions.map((a: { action: string }) => a.action)).toEqual([
      'vendor.ssh_key.add',
      'vendor.ssh_key.revoke',
      'vendor.age_recipient.set',
    ]);
  });

  it('searches the audit trail by agent, action, target and period, newest first, page by page', async () => {
    const other = await createAgent(t);
    const otherSession = await signInHttp(t, other);
    const partner = await t.partner((await import('../src/partners/partner-kind.enum.js')).PartnerKind.Kiosk);
    for (let i = 0; i < 3; i++) await post(otherSession, `/console/partenaires/${partner.id}/cles`, { label: `k${i}` });
    const page = await get(operatorSession, `/console/journal?agent=${other.id}`);
    expect(page.status).toBe(200);
    const rows = [...page.text.matchAll(/<code>(api-key\.created|[a-z_.-]+)<\/code>/g)].map((m) => m[1]);
    expect(rows.filter((a) => a === 'api-key.created')).toHaveLength(3);
    expect(page.text).not.toContain('card_request.cancelled');
    const byAction = await get(
      operatorSession,
      `/console/journal?action=api-key.created&agent=${other.id}&from=2000-01-01`,
    );
    expect(byAction.text.match(/<code>api-key.created<\/code>/g)).toHaveLength(3);
    const past = await get(operatorSession, `/console/journal?agent=${other.id}&to=2000-01-01`);
    expect(past.text).toContain('Aucune entrée ne correspond');
    const bad = await get(operatorSession, `/console/journal?from=2026-02-30`);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('CONSOLE_FIELD_INVALID');
    expect((await get(operatorSession, `/console/journal?agent=x&agent=y`)).status).toBe(400);
    expect((await get(fundSession, '/console/journal')).status).toBe(403);
    // Paging: 50 a page, the link resumes before the last entry shown.
    await t.dataSource.query(
      `INSERT INTO audit_entry (actor_kind, action, entity_type, entity_id, details)
       SELECT 'system', 'test.filler', 'test', g::text, '{}' FROM generate_series(1, 60) g`,
    );
    const first = await get(operatorSession, '/console/journal');
    const next = /id="page-suivante" href="([^"]+)"/.exec(first.text)?.[1]?.replace(/&amp;/g, '&');
    expect(next).toMatch(/^\/console\/journal\?avant=\d+$/);
    const second = await get(operatorSession, next!);
    expect(second.status).toBe(200);
    const ids = (text: string) => [...text.matchAll(/<tr>\s*<td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(Math.max(...ids(second.text))).toBeLessThan(Math.min(...ids(first.text)));
  });

  it('reads a Paris day as its first instant, summer and winter', () => {
    expect(parisDayStart('2026-07-01')!.toISOString()).toBe('2026-06-30T22:00:00.000Z');
    expect(parisDayStart('2026-12-01')!.toISOString()).toBe('2026-11-30T23:00:00.000Z');
    expect(parisDayStart('2026-12-31', 1)!.toISOString()).toBe('2026-12-31T23:00:00.000Z');
    expect(parisDayStart('2026-02-30')).toBeNull();
  });
});
