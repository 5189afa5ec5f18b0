import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { saveVirtualCards } from '../src/cli/virtual-cards.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { AttachmentRepository } from '../src/register/attachment.repository.js';
import { cardIn, type TestCard } from './support/card-fixtures.js';
import { check2, fetch2, giveCardKeys, proofBody } from './support/card-key-fixtures.js';
import { insertBeneficiary } from './support/factories.js';
import { attachSql, insertDependant, runKiosk, storedRecord } from './support/family-fixtures.js';
import { cardVersions, check, LYON, PARIS, putRecord } from './support/kiosk-fixtures.js';
import { ORG_MSA } from './support/order-fixtures.js';
import { tempDir } from './support/temp-dirs.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const COVER_RG = [{ aldDigit: 0, situation: '0100' }];
const COVER_MSA = [{ aldDigit: 4, situation: '0300' }];
const ALD = [{ from: '2024-01-01', to: null, aldCode: '12' }];

/** The chip's dependants record (issue 13 item 2): written by the database from the register, sealed to the card. */
describe('the dependants chip record', () => {
  let t: TestApp;
  let base: string;
  let paris: { id: string; key: string };
  let msa: { id: string; key: string };
  let lyon: { id: string; key: string };
  let kiosk: { id: string; key: string };

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as { port: number }).port}`;
    paris = await t.partner(PartnerKind.Fund, PARIS);
    msa = await t.partner(PartnerKind.Fund, ORG_MSA);
    lyon = await t.partner(PartnerKind.Fund, LYON);
    kiosk = await t.partner(PartnerKind.Kiosk);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** An insured parent of `organismeCode` with an active card whose chip has its keys (written to `cardsFile`). */
  async function parentWithCard(organismeCode: string, cardsFile?: string) {
    const parent = await insertBeneficiary(t.dataSource, { organismeCode });
    const card = await cardIn(t.dataSource, CardState.Active, { beneficiaryId: parent.id, organismeCode });
    const keys = await giveCardKeys(t.dataSource, card.id);
    if (cardsFile) saveVirtualCards(cardsFile, [{ serial: card.serial12, chipId: `CHIP${card.serial}`, keys }]);
    return { parent, card, keys };
  }
  const dependantsOf = async (c: TestCard) =>
    (await storedRecord(t.dataSource, c.id, 'dependants')) as
      { content: Array<Record<string, any>>; version: number } | undefined;

  it('twins attached to two parents in two regimes reach both cards, each after one kiosk/2 update, and only their funds read them', async () => {
    expect(existsSync('dist/src/cli/kiosk.js'), 'npm test builds dist/ first').toBe(true);
    const cardsFile = path.join(tempDir('families-cards'), 'cards.json');
    const mother = await parentWithCard(PARIS, cardsFile);
    const father = await parentWithCard(ORG_MSA, cardsFile);
    const twins = [
      await insertDependant(t.dataSource, { firstName: 'ALICE', birthDate: '2021-07-14', birthRank: 1 }),
      await insertDependant(t.dataSource, { firstName: 'BRUNO', birthDate: '2021-07-14', birthRank: 2 }),
    ];
    // Both twins under both parents, in one transaction per parent, each parent's regime giving its own rights.
    const attachments = t.app.get(AttachmentRepository);
    for (const [p, coverage, aldPeriods] of [
      [mother.parent, COVER_RG, []],
      [father.parent, COVER_MSA, ALD],
    ] as const) {
      await t.dataSource.transaction(async (em) => {
        for (const tw of twins)
          await attachments.add(em, {
            dependantId: tw.id,
            parentId: p.id,
            validFrom: '2021-07-14',
            validTo: null,
            coverage: [...coverage],
            aldPeriods: [...aldPeriods],
          });
      });
    }
    for (const p of [mother, father]) {
      const v = await cardVersions(t.dataSource, p.card.serial12);
      expect(v.data_version).toBe(2);
      expect(v.target_version).toBeGreaterThan(2);
    }

    for (const [p, coverage, aldPeriods] of [
      [mother, COVER_RG, []],
      [father, COVER_MSA, ALD],
    ] as const) {
      const run = await runKiosk(
        [
          '--url',
          base,
          '--serial',
          p.card.serial12,
          '--cards-file',
          cardsFile,
          '--read-version',
          '2',
          '--ms-per-record',
          '1',
        ],
        { KIOSK_API_KEY: kiosk.key },
      );
      expect(run.code, run.output).toBe(0);
      const writes = run.lines.filter((l) => l.step === 'write');
      expect(writes).toHaveLength(1);
      expect(writes[0]).toMatchObject({ opened: true, dependants: 2, birthRanks: [1, 2] });
      expect(String(writes[0].record)).toMatch(/^dependants@\d+$/);
      expect(run.lines.find((l) => l.step === 'confirm')).toMatchObject({ result: 'updated' });
      // Nothing personal on the kiosk's screen.
      for (const tw of twins) {
        expect(run.output).not.toContain(tw.nir);
        expect(run.output).not.toContain(tw.firstName);
      }
      const v = await cardVersions(t.dataSource, p.card.serial12);
      expect(v.data_version).toBe(v.target_version);
      // What the virtual chip now holds: both twins, with the rights this parent's regime gives them.
      const chip = JSON.parse(readFileSync(cardsFile, 'utf8')).cards.find(
        (c: { serial: string }) => c.serial === p.card.serial12,
      ).chip;
      expect(chip.version).toBe(v.data_version);
      expect(chip.records.dependants.content).toEqual(
        twins.map((tw) => ({
          identity: {
            nir: tw.nir,
            firstName: tw.firstName,
            birthName: tw.birthName,
            usageName: null,
            birthDate: '2021-07-14',
            birthRank: tw.birthRank,
          },
          coverage,
          aldPeriods,
          attachedFrom: '2021-07-14',
          attachedTo: null,
        })),
      );
    }

    // Each parent's fund reads its parent's card's record; a third fund gets nothing.
    const read = (key: string, c: TestCard) => t.http().get(`/v1/cards/${c.serial12}/data/dependants`).set(bearer(key));
    expect((await read(paris.key, mother.card)).body.content).toHaveLength(2);
    expect((await read(msa.key, father.card)).body.content).toHaveLength(2);
    for (const c of [mother.card, father.card]) {
      const res = await read(lyon.key, c);
      expect(res.status).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain(twins[0].nir);
    }
    // Funds never write it: the register does.
    const put = await putRecord(t, paris.key, mother.card.serial12, 'dependants', []);
    expect(put.status).toBe(409);
    expect(put.body).toMatchObject({ code: 'CARD_RECORD_FROM_REGISTER', recordType: 'dependants' });
    expect(put.body.detail).toMatch(/attach/);
  }, 90_000);

  it('follows the register: rights changed, a dependant renamed, detached, removed; an unchanged write moves nothing', async () => {
    const a = await parentWithCard(PARIS);
    const b = await parentWithCard(LYON);
    const child = await insertDependant(t.dataSource);
    const toA = await attachSql(t.dataSource, child.id, a.parent.id, { coverage: COVER_RG });
    const toB = await attachSql(t.dataSource, child.id, b.parent.id);
    const v1 = (await dependantsOf(a.card))!;
    expect(v1.content).toHaveLength(1);
    expect((await cardVersions(t.dataSource, a.card.serial12)).target_version).toBe(v1.version);
    const audit = await t.dataSource.query(
      `SELECT actor_kind, details FROM audit_entry WHERE action = 'card.data_changed' AND entity_id = $1 AND details->>'recordType' = 'dependants'`,
      [a.card.id],
    );
    expect(audit).toEqual([{ actor_kind: 'system', details: expect.objectContaining({ source: 'register' }) }]);

    // Rights changed on A's side only: A's card moves, B's does not.
    const bBefore = (await dependantsOf(b.card))!.version;
    await t.dataSource.query(`UPDATE attachment SET ald_periods = $2::jsonb WHERE id = $1`, [toA, JSON.stringify(ALD)]);
    const v2 = (await dependantsOf(a.card))!;
    expect(v2.version).toBeGreaterThan(v1.version);
    expect(v2.content[0].aldPeriods).toEqual(ALD);
    expect((await dependantsOf(b.card))!.version).toBe(bBefore);
    // The same content written again moves nothing.
    await t.dataSource.query(`UPDATE attachment SET ald_periods = $2::jsonb WHERE id = $1`, [toA, JSON.stringify(ALD)]);
    expect((await dependantsOf(a.card))!.version).toBe(v2.version);

    // The child's names change: both parents' cards.
    await t.dataSource.query(`UPDATE beneficiary SET first_name = 'LOUISE' WHERE id = $1`, [child.id]);
    expect((await dependantsOf(a.card))!.content[0].identity.firstName).toBe('LOUISE');
    expect((await dependantsOf(b.card))!.content[0].identity.firstName).toBe('LOUISE');
    expect((await dependantsOf(b.card))!.version).toBeGreaterThan(bBefore);

    // Detached from B today: B's card carries nobody (a pending update), A's is unchanged.
    const aNow = (await dependantsOf(a.card))!.version;
    await t.dataSource.query(`UPDATE attachment SET valid_to = current_date WHERE id = $1`, [toB]);
    expect((await dependantsOf(b.card))!.content).toEqual([]);
    expect((await dependantsOf(a.card))!.version).toBe(aNow);
    // A's attachment deleted: A's card carries nobody either.
    await t.dataSource.query(`DELETE FROM attachment WHERE id = $1`, [toA]);
    const emptied = (await dependantsOf(a.card))!;
    expect(emptied.content).toEqual([]);
    expect((await cardVersions(t.dataSource, a.card.serial12)).target_version).toBe(emptied.version);

    // A holder who never had dependants gets no record at all.
    const alone = await parentWithCard(PARIS);
    await t.dataSource.query(`UPDATE beneficiary SET first_name = 'PAUL' WHERE id = $1`, [alone.parent.id]);
    expect(await dependantsOf(alone.card)).toBeUndefined();
  });

  it('one refresh of many holders writes what one refresh per holder writes (records, versions, targets, audit)', async () => {
    // Committed first, through the triggers: D's and E's cards already carry their child.
    const [a, b, d, e, g] = [
      await parentWithCard(PARIS),
      await parentWithCard(ORG_MSA),
      await parentWithCard(PARIS),
      await parentWithCard(LYON),
      await parentWithCard(PARIS),
    ];
    const f = await insertBeneficiary(t.dataSource, { organismeCode: PARIS });
    const fCard = await cardIn(t.dataSource, CardState.Active, { beneficiaryId: f.id, organismeCode: PARIS });
    // H: an active card and its replacement ordered, both with their chip's keys: each carries the family.
    const h = await parentWithCard(LYON);
    const hNext = await cardIn(t.dataSource, CardState.Ordered, { beneficiaryId: h.parent.id, organismeCode: LYON });
    await giveCardKeys(t.dataSource, hNext.id);
    const child = (o: Parameters<typeof insertDependant>[1] = {}) => insertDependant(t.dataSource, o);
    const [a1, shared, tw1, tw2, d1, e1, f1, h1] = [
      await child({ firstName: 'ANNA', birthDate: '2016-02-01' }),
      await child({ firstName: 'SACHA', birthDate: '2014-05-06' }),
      await child({ firstName: 'ALICE', birthDate: '2021-07-14', birthRank: 1 }),
      await child({ firstName: 'BRUNO', birthDate: '2021-07-14', birthRank: 2 }),
      await child({ firstName: 'DORA' }),
      await child({ firstName: 'ELIO' }),
      await child({ firstName: 'FANNY' }),
      await child({ firstName: 'HUGO' }),
    ];
    const toD = await attachSql(t.dataSource, d1.id, d.parent.id);
    await attachSql(t.dataSource, e1.id, e.parent.id, { coverage: COVER_RG });
    const eBefore = (await dependantsOf(e.card))!;
    const cards = [a.card, b.card, d.card, e.card, fCard, g.card, h.card, hNext].map((c) => c.id);
    const holders = [a, b, d, e, { parent: f }, g, h].map((p) => p.parent.id);

    /** The family changes written with the register's triggers off, then `calls` of the refresh; what it wrote. */
    async function refreshed(calls: string[][]) {
      const c = new pg.Client({ connectionString: t.ownerUrl });
      await c.connect();
      try {
        await c.query('BEGIN');
        const [{ mark }] = (await c.query(`SELECT coalesce(max(id), 0)::text AS mark FROM audit_entry`)).rows;
        await c.query(`SET LOCAL session_replication_role = replica`);
        const attach = (dep: string, parent: string, coverage: unknown[] = [], ald: unknown[] = []) =>
          c.query(
            `INSERT INTO attachment (dependant_id, parent_id, valid_from, coverage, ald_periods) VALUES ($1, $2, '2022-01-01', $3::jsonb, $4::jsonb)`,
            [dep, parent, JSON.stringify(coverage), JSON.stringify(ald)],
          );
        await attach(a1.id, a.parent.id, COVER_RG);
        await attach(shared.id, a.parent.id, COVER_RG);
        await attach(shared.id, b.parent.id, COVER_MSA, ALD);
        await attach(tw2.id, b.parent.id, COVER_MSA); // the second twin first: the record orders by birth rank
        await attach(tw1.id, b.parent.id, COVER_MSA);
        await attach(f1.id, f.id);
        await attach(h1.id, h.parent.id);
        await c.query(`UPDATE attachment SET valid_to = current_date WHERE id = $1`, [toD]);
        await c.query(`SET LOCAL session_replication_role = origin`);
        for (const holders of calls) await c.query(`SELECT chip_dependants_refresh($1::uuid[])`, [holders]);
        const q = async (sql: string, params: unknown[] = []) => (await c.query(sql, params)).rows;
        return {
          records: await q(
            `SELECT card_id, content, version FROM card_data_record WHERE record_type = 'dependants' AND card_id = ANY($1::uuid[]) ORDER BY card_id`,
            [cards],
          ),
          targets: await q(
            `SELECT card_id, target_version FROM card_update_state WHERE card_id = ANY($1::uuid[]) ORDER BY card_id`,
            [cards],
          ),
          audit: await q(
            `SELECT entity_id, organisme_code, details FROM audit_entry
              WHERE id > $1 AND action = 'card.data_changed' ORDER BY entity_id, details->>'version'`,
            [mark],
          ),
          canonical: await q(
            `SELECT h AS holder, chip_dependants_record(h) AS content FROM unnest($1::uuid[]) h ORDER BY h`,
            [holders],
          ),
        };
      } finally {
        await c.query('ROLLBACK');
        await c.end();
      }
    }

    // One call for all (a holder named twice), and one call per holder, from the same state.
    const together = await refreshed([[...holders, a.parent.id]]);
    const oneByOne = await refreshed(holders.map((id) => [id]));
    expect(together).toEqual(oneByOne);

    // And what they wrote is the family as the register holds it.
    const record = (id: string) => together.records.find((r) => r.card_id === id);
    const identity = (p: { firstName: string; birthRank: number }) =>
      expect.objectContaining({
        identity: expect.objectContaining({ firstName: p.firstName, birthRank: p.birthRank }),
      });
    expect(record(a.card.id)!.content).toEqual([identity(shared), identity(a1)]);
    expect(record(b.card.id)!.content).toEqual([identity(shared), identity(tw1), identity(tw2)]);
    expect(record(b.card.id)!.content[0]).toMatchObject({ coverage: COVER_MSA, aldPeriods: ALD });
    expect(record(d.card.id)!.content).toEqual([]); // detached today: emptied, a pending update
    expect(record(e.card.id)).toEqual({ card_id: e.card.id, content: eBefore.content, version: eBefore.version });
    expect(record(fCard.id)).toBeUndefined(); // no chip keys: never carries the family
    expect(record(g.card.id)).toBeUndefined(); // never had dependants
    expect(record(h.card.id)!.content).toEqual([identity(h1)]);
    expect(record(hNext.id)!.content).toEqual([identity(h1)]);
    for (const r of together.records) {
      const target = together.targets.find((x) => x.card_id === r.card_id)!.target_version;
      if (r.card_id !== e.card.id) expect(r.version).toBe(target);
    }
    // One audit entry per card written: A, B, D, H's two; E unchanged, F and G nothing.
    expect(together.audit.map((x) => x.entity_id).sort()).toEqual(
      [a.card.id, b.card.id, d.card.id, h.card.id, hNext.id].sort(),
    );
    const canonical = new Map(together.canonical.map((x) => [x.holder, x.content]));
    expect(record(a.card.id)!.content).toEqual(canonical.get(a.parent.id));
    expect(record(b.card.id)!.content).toEqual(canonical.get(b.parent.id));
    expect(canonical.get(g.parent.id)).toEqual([]);
  });

  it('is never served without the card: no kiosk/2 fetch without its proof, never on a card without keys (kiosk/1, in clear)', async () => {
    const p = await parentWithCard(PARIS);
    const other = await parentWithCard(PARIS);
    const legacyParent = await insertBeneficiary(t.dataSource, { organismeCode: PARIS });
    const legacy = await cardIn(t.dataSource, CardState.Active, {
      beneficiaryId: legacyParent.id,
      organismeCode: PARIS,
    });
    const child = await insertDependant(t.dataSource);
    await attachSql(t.dataSource, child.id, p.parent.id);
    await attachSql(t.dataSource, child.id, legacyParent.id);
    expect(await dependantsOf(p.card)).toBeDefined();

    // A card without keys speaks kiosk/1, in clear: it never holds the record, so no kiosk ever reads it there.
    expect(await dependantsOf(legacy)).toBeUndefined();
    const clear = await check(t, kiosk.key, legacy.serial12, 0);
    expect(clear.status).toBe(200);
    expect(JSON.stringify(clear.body)).not.toContain(child.nir);
    expect((clear.body.records ?? []).map((r: { recordType: string }) => r.recordType)).not.toContain('dependants');

    // kiosk/1 on the card with keys: refused, nothing disclosed.
    const v1 = await check(t, kiosk.key, p.card.serial12, 0);
    expect(v1.status).toBe(409);
    expect(JSON.stringify(v1.body)).not.toContain(child.nir);

    // kiosk/2 without the card's proof: a made-up signature, another card's signature: 403, no record.
    const challenge = await check2(t, kiosk.key, p.card.serial12, 2);
    expect(challenge.body.action).toBe('update_available');
    const signed = {
      serial: p.card.serial12,
      challenge: challenge.body.challenge,
      readVersion: 2,
      kioskId: challenge.body.kioskId,
    };
    for (const body of [
      { ...proofBody(p.keys, signed), proof: randomBytes(64).toString('base64') },
      proofBody(other.keys, signed),
    ]) {
      const res = await fetch2(t, kiosk.key, body);
      expect(res.status).toBe(403);
      expect(res.body.records).toBeUndefined();
      expect(JSON.stringify(res.body)).not.toContain(child.nir);
    }
    // The simulator without the card in its reader: refused, nothing disclosed.
    const without = await runKiosk(
      ['--url', base, '--serial', p.card.serial12, '--without-card', '--read-version', '2'],
      {
        KIOSK_API_KEY: kiosk.key,
      },
    );
    expect(without.lines.find((l) => l.step === 'fetch without the card')).toMatchObject({
      refused: true,
      disclosed: false,
    });
    expect(without.code).toBe(0);

    // The legacy card gets keys (a replacement chip's return): from then on it carries the family, sealed.
    await giveCardKeys(t.dataSource, legacy.id);
    expect((await dependantsOf(legacy))!.content).toHaveLength(1);
  }, 60_000);
});
