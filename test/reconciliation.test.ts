import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataSource } from 'typeorm';
import { formatSerial } from '../src/cards/card-serial.js';
import { CardState } from '../src/cards/card-state.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { ReconciliationMode } from '../src/reconciliation/reconciliation-class.enum.js';
import { ReconciliationRepository } from '../src/reconciliation/reconciliation.repository.js';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service.js';
import { insertBeneficiary, insertCard, makeNir } from './support/factories.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const ORG_A = '017510001';
const ORG_B = '016910001';

/** An imported card straight into the database, as the card base import leaves it (test set-up only). */
async function importedCard(
  ds: DataSource,
  o: {
    beneficiaryId: string | null;
    organismeCode?: string;
    generation?: number;
    issuedOn?: string;
    state?: CardState;
    holderNir?: string;
  },
): Promise<{ id: string; serial: string }> {
  const [[{ serial }]] = await ds.query(
    `UPDATE serial_allocator SET next_serial = next_serial + 1 WHERE id = 1 RETURNING (next_serial - 1)::text AS serial`,
  );
  const [{ id }] = await ds.query(
    `INSERT INTO card (serial, beneficiary_id, organisme_code, state, opposition_reason, origin, generation, awaiting_reconciliation)
     VALUES ($1, $2, $3, $4::card_state, CASE WHEN $4::card_state = 'opposed' THEN 'lost'::opposition_reason END, 'imported', $5, true) RETURNING id`,
    [serial, o.beneficiaryId, o.organismeCode ?? ORG_A, o.state ?? CardState.Active, o.generation ?? 1],
  );
  await ds.query(`INSERT INTO imported_card (card_id, holder_nir, issued_on) VALUES ($1, $2, $3)`, [
    id,
    o.beneficiaryId ? null : (o.holderNir ?? makeNir()),
    o.issuedOn ?? '2016-03-01',
  ]);
  return { id, serial: formatSerial(serial) };
}

/** Every row of a table, in a fixed order, as one digest: "byte-for-byte the same" before and after. */
const digest = async (ds: DataSource, table: 'card' | 'opposition_change'): Promise<{ rows: number; md5: string }> => {
  const [r] = await ds.query(
    `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) AS md5 FROM ${table} t`,
  );
  return r;
};

const parseCsv = (text: string) => {
  const [header, ...lines] = text.trim().split('\n');
  const cols = header.split(';');
  return lines.map((l) => Object.fromEntries(l.split(';').map((v, i) => [cols[i], v])));
};

/**
 * Reconciliation of a taken-over card base: every class found by a dry run that changes nothing; an apply that
 * keeps one card per person and opposes the others in waves capped per day, through the cards module (audit, fund
 * events, the incremental list); twice opposes nothing twice; a surplus opposition withdrawn; the tenant rule.
 */
describe('reconciliation of the card base', () => {
  let t: TestApp;
  let op: Record<string, string>;
  let fundA: Record<string, string>;
  let fundB: Record<string, string>;
  const c: Record<string, { id: string; serial: string }> = {};

  const runTo = async (mode: 'dry_run' | 'apply') => {
    const res = await t.http().post('/v1/reconciliation/runs').set(op).send({ mode });
    expect(res.status).toBe(202);
    await t.jobsSettled();
    const run = await t.http().get(`/v1/reconciliation/runs/${res.body.id}`).set(op);
    expect(run.body.status).toBe('done');
    return run.body as { id: string; cardsClassified: number; counts: Array<Record<string, unknown>> };
  };
  const report = async (runId: string, who: Record<string, string>) => {
    const res = await t.http().get(`/v1/reconciliation/runs/${runId}/report.csv`).set(who);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    return parseCsv(res.text);
  };
  const classesOf = (rows: Array<Record<string, string>>, serial: string) =>
    rows
      .filter((r) => r.serial === serial)
      .map((r) => r.class)
      .sort();

  beforeAll(async () => {
    t = await startTestApp({ reconcileDailyLimit: 3 });
    op = bearer(t.operatorKey);
    fundA = bearer((await t.partner(PartnerKind.Fund, ORG_A)).key);
    fundB = bearer((await t.partner(PartnerKind.Fund, ORG_B)).key);
    const ds = t.dataSource;

    // Two imported cards of one person: the one with a photo is kept.
    const p1 = await insertBeneficiary(ds);
    c.p1old = await importedCard(ds, { beneficiaryId: p1.id, generation: 1, issuedOn: '2012-01-01' });
    c.p1photo = await importedCard(ds, { beneficiaryId: p1.id, generation: 2, issuedOn: '2010-01-01' });

    // A card this system issued beside an imported one: the issued card is kept.
    const p2 = await insertBeneficiary(ds);
    const issued = await insertCard(ds, { beneficiaryId: p2.id, state: CardState.Active });
    c.p2issued = { id: issued.id, serial: formatSerial(issued.serial) };
    c.p2imported = await importedCard(ds, { beneficiaryId: p2.id, generation: 2 });

    // A temporary NIR replaced by the definitive one: the register kept the temporary number in its history, and
    // a second row was later made under that temporary number. Both rows are one person.
    const temporary = makeNir('7850575123456');
    const p3 = await insertBeneficiary(ds, { nir: temporary });
    await ds.query(`UPDATE beneficiary SET nir = $2, nir_temporary = false WHERE id = $1`, [
      p3.id,
      makeNir('2850575123456'),
    ]);
    const p3alias = await insertBeneficiary(ds, { nir: temporary });
    c.p3definitive = await importedCard(ds, { beneficiaryId: p3.id, generation: 2, issuedOn: '2020-01-01' });
    c.p3temporary = await importedCard(ds, { beneficiaryId: p3alias.id, generation: 1, issuedOn: '2019-01-01' });

    // A card managed by an organisme its holder has left (affiliated to B now).
    const p4 = await insertBeneficiary(ds, { organismeCode: ORG_B });
    c.p4left = await importedCard(ds, { beneficiaryId: p4.id, organismeCode: ORG_A });

    // A holder unknown to the register.
    c.p5unknown = await importedCard(ds, { beneficiaryId: null });

    // A deceased holder: the fund records the death through the register's route.
    const p6 = await insertBeneficiary(ds);
    c.p6deceased = await importedCard(ds, { beneficiaryId: p6.id });
    const death = await t.http().put(`/v1/beneficiaries/${p6.id}/death`).set(fundA).send({ diedOn: '2026-10-01' });
    expect(death.status).toBe(200);
    expect(death.body).toEqual({ beneficiaryId: p6.id, diedOn: '2026-10-01', changed: true });

    // Another fund's person with two cards.
    const p7 = await insertBeneficiary(ds, { organismeCode: ORG_B });
    c.p7a = await importedCard(ds, { beneficiaryId: p7.id, organismeCode: ORG_B, generation: 2 });
    c.p7b = await importedCard(ds, { beneficiaryId: p7.id, organismeCode: ORG_B, generation: 1 });

    // A lone imported card (kept on apply) and an opposed one (not usable: not classified).
    const p8 = await insertBeneficiary(ds);
    c.p8alone = await importedCard(ds, { beneficiaryId: p8.id });
    c.p8opposed = await importedCard(ds, { beneficiaryId: p8.id, state: CardState.Opposed });
  });
  afterAll(async () => {
    await t?.close();
  });

  let dryRunId: string;

  it('a dry run finds every class, with counts per regime and fund, and changes nothing', async () => {
    const cardsBefore = await digest(t.dataSource, 'card');
    const changesBefore = await digest(t.dataSource, 'opposition_change');
    const run = await runTo('dry_run');
    dryRunId = run.id;
    expect(await digest(t.dataSource, 'card')).toEqual(cardsBefore);
    expect(await digest(t.dataSource, 'opposition_change')).toEqual(changesBefore);
    expect(run.cardsClassified).toBe(12);

    const rows = await report(run.id, op);
    expect(classesOf(rows, c.p1old.serial)).toEqual(['surplus']);
    expect(classesOf(rows, c.p1photo.serial)).toEqual(['kept']);
    expect(rows.find((r) => r.serial === c.p1old.serial)!.kept_serial).toBe(c.p1photo.serial);
    expect(classesOf(rows, c.p2issued.serial)).toEqual(['kept']);
    expect(classesOf(rows, c.p2imported.serial)).toEqual(['surplus']);
    expect(classesOf(rows, c.p3definitive.serial)).toEqual(['kept']);
    expect(classesOf(rows, c.p3temporary.serial)).toEqual(['surplus']);
    expect(classesOf(rows, c.p4left.serial)).toEqual(['left_organisme']);
    expect(classesOf(rows, c.p5unknown.serial)).toEqual(['holder_unknown']);
    expect(classesOf(rows, c.p6deceased.serial)).toEqual(['holder_deceased']);
    expect(classesOf(rows, c.p7a.serial)).toEqual(['kept']);
    expect(classesOf(rows, c.p7b.serial)).toEqual(['surplus']);
    expect(classesOf(rows, c.p8alone.serial)).toEqual([]);
    expect(classesOf(rows, c.p8opposed.serial)).toEqual([]);
    // Serials and classes only: no NIR, no holder id in the report.
    expect(Object.keys(rows[0])).toEqual([
      'serial',
      'class',
      'kept_serial',
      'organisme',
      'fund',
      'regime',
      'generation',
      'origin',
    ]);

    const surplusA = run.counts.filter((x) => x.class === 'surplus' && x.organismeCode === ORG_A);
    expect(surplusA.reduce((n, x) => n + (x.cards as number), 0)).toBe(3);
    expect(run.counts.find((x) => x.class === 'surplus' && x.organismeCode === ORG_B)).toMatchObject({ cards: 1 });
    expect(run.counts[0]).toEqual({
      regimeCode: expect.stringMatching(/^\d{2}$/),
      fundCode: expect.stringMatching(/^\d{5}$/),
      organismeCode: expect.any(String),
      class: expect.any(String),
      cards: expect.any(Number),
    });
  });

  it("a fund sees only its own organisme's counts and report: another fund's card is absent, not even counted", async () => {
    const mine = await t.http().get(`/v1/reconciliation/runs/${dryRunId}`).set(fundA);
    expect(mine.status).toBe(200);
    expect(mine.body.counts.length).toBeGreaterThan(0);
    expect(mine.body.counts.every((x: { organismeCode: string }) => x.organismeCode === ORG_A)).toBe(true);
    const rows = await report(dryRunId, fundA);
    expect(rows.every((r) => r.organisme === ORG_A)).toBe(true);
    expect(classesOf(rows, c.p7a.serial)).toEqual([]);
    expect(classesOf(rows, c.p7b.serial)).toEqual([]);
    expect(classesOf(rows, c.p1old.serial)).toEqual(['surplus']);

    const theirs = await report(dryRunId, fundB);
    expect(theirs.map((r) => r.serial).sort()).toEqual([c.p7a.serial, c.p7b.serial].sort());
    const counts = (await t.http().get(`/v1/reconciliation/runs/${dryRunId}`).set(fundB)).body.counts;
    expect(counts).toEqual([
      expect.objectContaining({ organismeCode: ORG_B, class: 'surplus', cards: 1 }),
      expect.objectContaining({ organismeCode: ORG_B, class: 'kept', cards: 1 }),
    ]);
    // Only operators ask for runs and waves.
    expect((await t.http().post('/v1/reconciliation/runs').set(fundA).send({ mode: 'apply' })).status).toBe(403);
    expect((await t.http().post('/v1/reconciliation/waves').set(fundA)).status).toBe(403);
  });

  it('lets one run at a time exist (the database refuses a second one pending)', async () => {
    await t.dataSource.query(`INSERT INTO reconciliation_run (mode, status) VALUES ('dry_run', 'running')`);
    const res = await t.http().post('/v1/reconciliation/runs').set(op).send({ mode: 'dry_run' });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('RECONCILIATION_RUN_IN_PROGRESS');
    await t.dataSource.query(
      `UPDATE reconciliation_run SET status = 'failed', active = false WHERE status = 'running'`,
    );
    const bad = await t.http().post('/v1/reconciliation/runs').set(op).send({ mode: 'everything' });
    expect(bad.status).toBe(400);
  });

  const opposed = async () =>
    (
      await t.dataSource.query(
        `SELECT lpad(serial::text, 12, '0') AS serial, opposition_reason AS reason FROM card
          WHERE state = 'opposed' AND opposition_reason IN ('surplus', 'holder_deceased') ORDER BY serial`,
      )
    ).map((r: { serial: string; reason: string }) => `${r.serial}:${r.reason}`);

  it('apply keeps one card per person and opposes the others in waves capped per day, audited, with fund events and list changes', async () => {
    await runTo('apply');
    // The wave the apply enqueued, to its end: once in a CI run its first attempt failed and was retried 1-2 s later
    // (pg-boss's back-off), which jobsSettled does not wait for. Waited for here, and why an attempt failed printed.
    let first = await opposed();
    for (let i = 0; first.length === 0 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      first = await opposed();
    }
    const attempts = await t.dataSource.query(
      `SELECT state, retry_count, output FROM pgboss.job WHERE name = 'reconciliation.wave' AND retry_count > 0`,
    );
    if (attempts.length > 0) process.stderr.write(`reconciliation.wave retried: ${JSON.stringify(attempts)}\n`);
    // Five oppositions decided (four surplus, one deceased holder's card), three made today: the daily cap.
    expect(first).toHaveLength(3);
    const wave = await t.http().post('/v1/reconciliation/waves').set(op);
    expect(wave.status).toBe(200);
    expect(wave.body).toEqual({ opposed: 0, skipped: 0, opposedToday: 3, dailyLimit: 3, remaining: 2 });
    expect(await opposed()).toEqual(first);

    // Kept cards left the waiting state; the surplus ones never do.
    const [{ awaiting }] = await t.dataSource.query(
      `SELECT array_agg(lpad(serial::text, 12, '0') ORDER BY serial) AS awaiting FROM card WHERE awaiting_reconciliation AND state IN ('shipped', 'active')`,
    );
    const surplus = [c.p1old, c.p2imported, c.p3temporary, c.p7b, c.p6deceased].map((x) => x.serial);
    for (const kept of [c.p1photo, c.p3definitive, c.p7a, c.p4left, c.p8alone])
      expect(awaiting).not.toContain(kept.serial);
    expect(awaiting).toContain(c.p5unknown.serial);

    for (const s of first.map((x: string) => x.split(':')[0])) {
      expect(surplus).toContain(s);
      const [card] = await t.dataSource.query(`SELECT id, organisme_code FROM card WHERE serial = $1::bigint`, [s]);
      const changes = await t.dataSource.query(`SELECT op, reason FROM opposition_change WHERE serial = $1::bigint`, [
        s,
      ]);
      expect(changes).toEqual([{ op: 'add', reason: expect.stringMatching(/^(surplus|holder_deceased)$/) }]);
      const events = await t.dataSource.query(
        `SELECT organisme_code, data FROM fund_event WHERE type = 'card.opposed' AND subject_id = $1`,
        [card.id],
      );
      expect(events).toEqual([
        {
          organisme_code: card.organisme_code,
          data: expect.objectContaining({ serial: s, reason: expect.any(String) }),
        },
      ]);
      const audit = await t.dataSource.query(
        `SELECT action, details->>'reason' AS reason FROM audit_entry WHERE entity_type = 'card' AND entity_id = $1 AND action = 'card.oppose'`,
        [card.id],
      );
      expect(audit).toHaveLength(1);
    }
  });

  it('applying twice opposes nothing twice', async () => {
    const [{ n: decisionsBefore }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM reconciliation_decision`);
    await runTo('apply');
    const [{ n: decisionsAfter }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM reconciliation_decision`);
    expect(decisionsAfter).toBe(decisionsBefore);
    // A new day's waves carry on: let the cap count yesterday's.
    await t.dataSource.query(
      `UPDATE reconciliation_decision SET applied_on = applied_on - 1 WHERE applied_on IS NOT NULL`,
    );
    const wave = await t.http().post('/v1/reconciliation/waves').set(op);
    expect(wave.body).toMatchObject({ opposed: 2, remaining: 0 });
    const again = await t.http().post('/v1/reconciliation/waves').set(op);
    expect(again.body).toMatchObject({ opposed: 0, remaining: 0 });
    const all = await opposed();
    expect(all).toHaveLength(5);
    const [{ twice }] = await t.dataSource.query(
      `SELECT count(*)::int AS twice FROM (SELECT serial FROM opposition_change WHERE op = 'add' GROUP BY serial HAVING count(*) > 1) x`,
    );
    expect(twice).toBe(0);
    // The database holds one decision per card, whoever writes.
    const [d] = await t.dataSource.query(`SELECT card_id, run_id FROM reconciliation_decision LIMIT 1`);
    await expect(
      t.dataSource.query(
        `INSERT INTO reconciliation_decision (card_id, run_id, action, reason, class, organisme_code, regime_code)
         VALUES ($1, $2, 'oppose', 'surplus', 'surplus', '017510001', '01')`,
        [d.card_id, d.run_id],
      ),
    ).rejects.toMatchObject({ constraint: 'PK_reconciliation_decision' });
  });

  it('counts surplus cards found and invalidated per regime, in the API (a fund: its own) and in /metrics', async () => {
    const all = (await t.http().get('/v1/reconciliation/surplus').set(op)).body;
    const sum = (items: Array<{ found: number; invalidated: number }>) =>
      items.reduce((a, x) => ({ found: a.found + x.found, invalidated: a.invalidated + x.invalidated }), {
        found: 0,
        invalidated: 0,
      });
    expect(all.next).toBeNull();
    expect(sum(all.items)).toEqual({ found: 4, invalidated: 4 });
    const a = (await t.http().get('/v1/reconciliation/surplus').set(fundA)).body;
    expect(sum(a.items)).toEqual({ found: 3, invalidated: 3 });
    const metrics = (await t.http().get('/metrics').set(op)).text;
    const line = (status: string) =>
      metrics
        .split('\n')
        .filter((l) => l.startsWith('reconciliation_surplus_cards{') && l.includes(`status="${status}"`))
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    expect(line('found')).toBe(4);
    expect(line('invalidated')).toBe(4);
  });

  it("a surplus opposition is withdrawn by the card's fund within the window; the card returns, still awaiting reconciliation", async () => {
    const res = await t.http().delete(`/v1/cards/${c.p1old.serial}/opposition`).set(fundA);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ serial: c.p1old.serial, state: 'active' });
    const [card] = await t.dataSource.query(
      `SELECT state, awaiting_reconciliation FROM card WHERE serial = $1::bigint`,
      [c.p1old.serial],
    );
    expect(card).toEqual({ state: 'active', awaiting_reconciliation: true });
    const changes = await t.dataSource.query(`SELECT op FROM opposition_change WHERE serial = $1::bigint ORDER BY id`, [
      c.p1old.serial,
    ]);
    expect(changes).toEqual([{ op: 'add' }, { op: 'remove' }]);
    // Another fund cannot reach it; an operator can withdraw one too.
    expect((await t.http().delete(`/v1/cards/${c.p2imported.serial}/opposition`).set(fundB)).status).toBe(404);
    expect((await t.http().delete(`/v1/cards/${c.p2imported.serial}/opposition`).set(op)).status).toBe(200);
    // Past the window it stays.
    await t.dataSource.query(`UPDATE card SET state_changed_at = now() - interval '3 days' WHERE serial = $1::bigint`, [
      c.p3temporary.serial,
    ]);
    const late = await t.http().delete(`/v1/cards/${c.p3temporary.serial}/opposition`).set(fundA);
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('OPPOSITION_WITHDRAWAL_TOO_LATE');
    // A new apply leaves a withdrawn card alone: its decision stands, once.
    await runTo('apply');
    const [again] = await t.dataSource.query(`SELECT state FROM card WHERE serial = $1::bigint`, [c.p1old.serial]);
    expect(again.state).toBe('active');
  });

  it('the register learns dates of death from the fund of the insured only, checked and audited', async () => {
    const p = await insertBeneficiary(t.dataSource, { organismeCode: ORG_A });
    expect(
      (await t.http().put(`/v1/beneficiaries/${p.id}/death`).set(fundB).send({ diedOn: '2026-01-01' })).status,
    ).toBe(404);
    const future = await t.http().put(`/v1/beneficiaries/${p.id}/death`).set(fundA).send({ diedOn: '2999-01-01' });
    expect(future.status).toBe(422);
    expect(future.body.code).toBe('DATE_INVALID');
    const before = await t.http().put(`/v1/beneficiaries/${p.id}/death`).set(fundA).send({ diedOn: '1970-01-01' });
    expect(before.body.code).toBe('DATE_INVALID');
    expect((await t.http().put(`/v1/beneficiaries/${p.id}/death`).set(fundA).send({})).body.code).toBe('DATE_INVALID');
    const ok = await t.http().put(`/v1/beneficiaries/${p.id}/death`).set(fundA).send({ diedOn: '2026-02-01' });
    expect(ok.body).toEqual({ beneficiaryId: p.id, diedOn: '2026-02-01', changed: true });
    const same = await t.http().put(`/v1/beneficiaries/${p.id}/death`).set(fundA).send({ diedOn: '2026-02-01' });
    expect(same.body.changed).toBe(false);
    const back = await t.http().put(`/v1/beneficiaries/${p.id}/death`).set(fundA).send({ diedOn: null });
    expect(back.body).toEqual({ beneficiaryId: p.id, diedOn: null, changed: true });
    const audit = await t.dataSource.query(
      `SELECT action FROM audit_entry WHERE entity_id = $1 AND action LIKE 'beneficiary.death%' ORDER BY id`,
      [p.id],
    );
    expect(audit.map((a: { action: string }) => a.action)).toEqual([
      'beneficiary.death_recorded',
      'beneficiary.death_withdrawn',
    ]);
    const events = await t.dataSource.query(
      `SELECT data FROM fund_event WHERE type = 'beneficiary.death_recorded' AND subject_id = $1 ORDER BY id`,
      [p.id],
    );
    expect(events.map((e: { data: unknown }) => e.data)).toEqual([
      { beneficiaryId: p.id, deceased: true },
      { beneficiaryId: p.id, deceased: false },
    ]);
  });

  it("checks a card made under a former NIR against its person's current affiliation, not the other row's", async () => {
    const ds = t.dataSource;
    // A person affiliated to A whose row under the former NIR is affiliated to B: that row's card, managed by B, is
    // under no current affiliation of the person. And the other way round: a card managed by B, on a row affiliated
    // to A, of a person affiliated to B, is in order.
    const underFormerNir = async (person: string, other: string) => {
      const temporary = makeNir('7850576' + String(Math.floor(Math.random() * 900000) + 100000));
      const p = await insertBeneficiary(ds, { nir: temporary, organismeCode: person });
      await ds.query(`UPDATE beneficiary SET nir = $2, nir_temporary = false WHERE id = $1`, [p.id, makeNir()]);
      const row = await insertBeneficiary(ds, { nir: temporary, organismeCode: other });
      return importedCard(ds, { beneficiaryId: row.id, organismeCode: ORG_B });
    };
    const left = await underFormerNir(ORG_A, ORG_B);
    const inOrder = await underFormerNir(ORG_B, ORG_A);
    const rows = await report((await runTo('dry_run')).id, op);
    expect(classesOf(rows, left.serial)).toEqual(['left_organisme']);
    expect(classesOf(rows, inOrder.serial)).toEqual([]);
  });

  it('finds the same with one connection or several (holder ranges in one snapshot), and the report pages along serials', async () => {
    const ds = t.dataSource;
    const repo = t.app.get(ReconciliationRepository);
    // More holders, so that each of several ranges holds some: people with two cards, some managed elsewhere.
    for (let i = 0; i < 30; i++) {
      const p = await insertBeneficiary(ds, { organismeCode: i % 3 === 0 ? ORG_B : ORG_A });
      await importedCard(ds, { beneficiaryId: p.id, generation: 1 + (i % 2) });
      if (i % 2 === 0) await importedCard(ds, { beneficiaryId: p.id, issuedOn: `2015-0${1 + (i % 9)}-01` });
    }
    const classifyWith = async (workers: number) => {
      const run = await ds.transaction((em) =>
        repo.insertRun(em, { mode: ReconciliationMode.DryRun, requestedBy: null, requestId: null }),
      );
      expect(await repo.start(run.id)).toBe(true);
      const classified = await repo.classify(run.id, workers);
      await ds.transaction((em) => repo.finish(em, run.id, classified));
      const rows: Array<{ serial: string; class: string; kept: string | null }> = await ds.query(
        // In the key's order (class in its declared order, not as text).
        `SELECT f.serial::text, f.class::text, f.kept_serial::text AS kept FROM reconciliation_finding f
          WHERE f.run_id = $1 ORDER BY f.serial, f.class`,
        [run.id],
      );
      return { id: run.id, classified, rows };
    };
    const one = await classifyWith(1);
    const several = await classifyWith(4);
    expect(one.rows.length).toBeGreaterThan(40);
    expect(several.classified).toBe(one.classified);
    expect(several.rows).toEqual(one.rows);

    // One finding a page, the report reads the same findings in the same order (the cursor follows the key).
    const paged: Array<[string, string]> = [];
    let after: { serial: string; class: string } | null = null;
    for (;;) {
      const page = await repo.reportPage(several.id, null, after, 1);
      if (page.length === 0) break;
      paged.push([page[0].serial, page[0].class]);
      after = { serial: page[0].serial, class: page[0].class };
    }
    expect(paged).toEqual(several.rows.map((r) => [r.serial, r.class]));
  });

  it('starts a run left running by a crash over: what some of its connections had committed is replaced by a whole run', async () => {
    const ds = t.dataSource;
    const repo = t.app.get(ReconciliationRepository);
    const run = await ds.transaction((em) =>
      repo.insertRun(em, { mode: ReconciliationMode.DryRun, requestedBy: null, requestId: null }),
    );
    expect(await repo.start(run.id)).toBe(true);
    // What a killed instance may leave: one task's findings committed, another's not (here: a finding no whole run
    // would make, and one it would make again).
    await ds.query(
      `INSERT INTO reconciliation_finding (run_id, card_id, class, serial, kept_serial, organisme_code, fund_code, regime_code, generation, origin)
       SELECT $1, c.id, cls, c.serial, NULL, c.organisme_code, o.fund_code, o.regime_code, c.generation, c.origin
         FROM card c JOIN organisme o ON o.code = c.organisme_code,
              (VALUES ('holder_deceased'::reconciliation_class), ('holder_unknown')) v(cls)
        WHERE c.serial = $2::bigint`,
      [run.id, c.p5unknown.serial.replace(/\D/g, '')],
    );
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM reconciliation_finding WHERE run_id = $1`, [run.id]);
    expect(n).toBe(2);
    // The job's retry finds the run running: it deletes its findings and classifies again.
    await t.app.get(ReconciliationService).process(run.id);
    const crashed = await t.http().get(`/v1/reconciliation/runs/${run.id}`).set(op);
    expect(crashed.body.status).toBe('done');
    const whole = await runTo('dry_run');
    expect(crashed.body.cardsClassified).toBe(whole.cardsClassified);
    const rows = async (id: string) =>
      (await report(id, op)).map((r) => `${r.serial};${r.class};${r.kept_serial}`).sort();
    const after = await rows(run.id);
    expect(after).toEqual(await rows(whole.id));
    expect(after).not.toContain(`${c.p5unknown.serial};holder_deceased;`);
    expect(after).toContain(`${c.p5unknown.serial};holder_unknown;`);
  });
});
