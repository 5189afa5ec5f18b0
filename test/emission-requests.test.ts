import { createHash } from 'node:crypto';
import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { CODE128, code128Symbols, code128Widths } from '../src/emission/requests/code128.js';
import { isValidFormNumber, luhnCheckDigit, makeFormNumber } from '../src/emission/requests/form-number.js';
import { RequestDeadlinesService } from '../src/emission/requests/request-deadlines.service.js';
import { RequestsJobs } from '../src/emission/requests/requests.jobs.js';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { JobScheduler } from '../src/platform/jobs/job-scheduler.service.js';
import { ageOn } from '../src/emission/requests/request-rules.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { parisToday } from '../src/register/beneficiary-input.js';
import { insertCard } from './support/factories.js';
import {
  emissionCounts,
  fundKey,
  insured,
  openRequest,
  ORG_A,
  ORG_B,
  requestEvents,
  requestRow,
  tempDataDir,
  yearsAgo,
} from './support/request-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

describe('form numbers (Luhn)', () => {
  it('computes the classic Luhn check digit', () => {
    expect(luhnCheckDigit('7992739871')).toBe(3);
    expect(luhnCheckDigit('0000000')).toBe(0);
  });

  it('makes 8-digit numbers that validate, and refuses every single-digit error and adjacent swap', () => {
    for (const seq of [1000001, 1000002, 4567890, 9999999]) {
      const n = makeFormNumber(seq);
      expect(n).toMatch(/^\d{8}$/);
      expect(n.slice(0, 7)).toBe(String(seq));
      expect(isValidFormNumber(n)).toBe(true);
      for (let i = 0; i < 8; i++) {
        for (let d = 0; d <= 9; d++) {
          if (String(d) === n[i]) continue;
          expect(isValidFormNumber(n.slice(0, i) + d + n.slice(i + 1)), `${n} digit ${i} -> ${d}`).toBe(false);
        }
      }
      for (let i = 0; i < 7; i++) {
        if (n[i] === n[i + 1]) continue;
        const swapped = n.slice(0, i) + n[i + 1] + n[i] + n.slice(i + 2);
        // Luhn misses only the 09 <-> 90 swap.
        if (`${n[i]}${n[i + 1]}` === '09' || `${n[i]}${n[i + 1]}` === '90') continue;
        expect(isValidFormNumber(swapped), `${n} swap ${i}`).toBe(false);
      }
    }
    expect(isValidFormNumber('1234567')).toBe(false);
    expect(isValidFormNumber('1234567a')).toBe(false);
    expect(isValidFormNumber(12345678)).toBe(false);
    expect(() => makeFormNumber(999999)).toThrow();
  });
});

describe('Code 128', () => {
  it('has a well-formed pattern table: 106 unique patterns of 11 modules, even bar widths', () => {
    expect(CODE128.PATTERNS).toHaveLength(106);
    expect(new Set(CODE128.PATTERNS).size).toBe(106);
    for (const p of CODE128.PATTERNS) {
      const w = [...p].map(Number);
      expect(w.reduce((a, b) => a + b)).toBe(11);
      expect((w[0] + w[2] + w[4]) % 2).toBe(0);
    }
    expect([...CODE128.STOP_PATTERN].map(Number).reduce((a, b) => a + b)).toBe(13);
  });

  it('encodes an 8-digit form number in code set C with its checksum', () => {
    // 105 + 1*12 + 2*34 + 3*56 + 4*78 = 665; 665 mod 103 = 47
    expect(code128Symbols('12345678')).toEqual([105, 12, 34, 56, 78, 47, 106]);
    expect(code128Widths('12345678').reduce((a, b) => a + b)).toBe(6 * 11 + 13);
  });

  it('uses code set B for text and switches to C for long digit runs', () => {
    // "AB": 104 + 1*33 + 2*34 = 205; 205 mod 103 = 102
    expect(code128Symbols('AB')).toEqual([104, 33, 34, 102, 106]);
    const mixed = code128Symbols('X1234567');
    expect(mixed.slice(0, 3)).toEqual([104, 56, 17]); // X, then the odd digit '1' in B
    expect(mixed.slice(3, 7)).toEqual([99, 23, 45, 67]);
    expect(decodeWidths(code128Widths('X1234567'))).toBe('X1234567');
    expect(decodeWidths(code128Widths('FORM-00123'))).toBe('FORM-00123');
    expect(() => code128Symbols('é')).toThrow();
  });
});

describe('age rule', () => {
  it('counts completed years', () => {
    expect(ageOn('2008-06-15', '2024-06-14')).toBe(15);
    expect(ageOn('2008-06-15', '2024-06-15')).toBe(16);
    expect(ageOn('2008-02-29', '2024-02-28')).toBe(15);
    expect(ageOn('2008-02-29', '2024-02-29')).toBe(16);
    expect(ageOn('2008-02-29', '2025-03-01')).toBe(17);
  });
});

describe('card requests (step 1)', () => {
  let t: TestApp;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false, dataDir: tempDataDir() });
    keyA = await fundKey(t, ORG_A);
    keyB = await fundKey(t, ORG_B);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('opens a request: form number, deadlines, step, event, audit, and a one-time upload link stored as a hash', async () => {
    const b = await insured(t);
    const before = Date.now();
    const res = await t
      .http()
      .post('/v1/card-requests')
      .set(bearer(keyA))
      .send({ beneficiaryId: b.id, reason: 'first_card', autoOrder: true })
      .expect(201);
    const r = res.body;
    expect(res.headers.location).toBe(`/v1/card-requests/${r.id}`);
    expect(r).toMatchObject({
      beneficiaryId: b.id,
      organismeCode: ORG_A,
      reason: 'first_card',
      status: 'form_sent',
      autoOrder: true,
      photo: null,
      cardId: null,
      replacedCardId: null,
    });
    expect(isValidFormNumber(r.formNumber)).toBe(true);
    expect(r.steps.map((s: { status: string }) => s.status)).toEqual(['form_sent']);
    const day = 86_400_000;
    expect(Math.abs(new Date(r.reminderDueAt).getTime() - (before + 15 * day))).toBeLessThan(60_000);
    expect(Math.abs(new Date(r.expiresAt).getTime() - (before + 45 * day))).toBeLessThan(60_000);
    expect(Math.abs(new Date(r.uploadLinkExpiresAt).getTime() - (before + 30 * day))).toBeLessThan(60_000);

    expect(r.photoUploadLink).toMatch(/^\/v1\/photo-uploads\/[A-Za-z0-9_-]{43}$/);
    const token = r.photoUploadLink.split('/').pop();
    const row = await requestRow(t.dataSource, r.id);
    expect(Buffer.compare(row.upload_token_hash, createHash('sha256').update(token).digest())).toBe(0);
    expect(JSON.stringify(row)).not.toContain(token);

    const events = await requestEvents(t.dataSource, r.id);
    expect(events).toHaveLength(1);
    expect(events[0].type).toBe('request.form_sent');
    expect(events[0].organisme_code).toBe(ORG_A);
    expect(events[0].data).toEqual({ requestId: r.id, formNumber: r.formNumber, reason: 'first_card' });
    const audit = await t.dataSource.query(
      `SELECT action, organisme_code, details FROM audit_entry WHERE entity_type = 'card_request' AND entity_id = $1`,
      [r.id],
    );
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['card_request.created']);
    expect(JSON.stringify(audit)).not.toContain(b.nir);

    // The link is shown once: reading the request never shows it again.
    const read = await t.http().get(`/v1/card-requests/${r.id}`).set(bearer(keyA)).expect(200);
    expect(read.body.photoUploadLink).toBeUndefined();
    expect(read.body.formNumber).toBe(r.formNumber);
  });

  it("refuses an unknown beneficiary and another fund's insured with the same 404, writing nothing", async () => {
    const other = await insured(t, ORG_B);
    const before = await emissionCounts(t);
    const unknown = await t
      .http()
      .post('/v1/card-requests')
      .set(bearer(keyA))
      .send({ beneficiaryId: '00000000-0000-4000-8000-000000000000', reason: 'first_card' })
      .expect(404);
    const foreign = await t
      .http()
      .post('/v1/card-requests')
      .set(bearer(keyA))
      .send({ beneficiaryId: other.id, reason: 'first_card' })
      .expect(404);
    expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(unknown.body.code).toBe('BENEFICIARY_NOT_FOUND');
    expect(foreign.body.code).toBe('BENEFICIARY_NOT_FOUND');
    expect(foreign.body.detail).toBe(unknown.body.detail);
    expect(await emissionCounts(t)).toEqual(before);
  });

  it('refuses a person under the minimum age (422), and accepts one on their 16th birthday', async () => {
    const young = await insured(t, ORG_A, { birthDate: yearsAgo(16, 1), affiliatedFrom: yearsAgo(1) });
    const before = await emissionCounts(t);
    const res = await t
      .http()
      .post('/v1/card-requests')
      .set(bearer(keyA))
      .send({ beneficiaryId: young.id, reason: 'first_card' })
      .expect(422);
    expect(res.body.code).toBe('REQUEST_TOO_YOUNG');
    expect(res.body.minAge).toBe(16);
    expect(await emissionCounts(t)).toEqual(before);
    const birthday = await insured(t, ORG_A, { birthDate: yearsAgo(16), affiliatedFrom: yearsAgo(1) });
    await openRequest(t, keyA, birthday.id);
  });

  it('refuses a first card while the holder has an active card, and records the replaced card otherwise', async () => {
    const b = await insured(t);
    const card = await insertCard(t.dataSource, { beneficiaryId: b.id, state: CardState.Active });
    const before = await emissionCounts(t);
    const res = await t
      .http()
      .post('/v1/card-requests')
      .set(bearer(keyA))
      .send({ beneficiaryId: b.id, reason: 'first_card' })
      .expect(409);
    expect(res.body.code).toBe('REQUEST_ACTIVE_CARD_EXISTS');
    expect(await emissionCounts(t)).toEqual(before);
    const lost = await openRequest(t, keyA, b.id, { reason: 'lost' });
    expect(lost.replacedCardId).toBe(card.id);
    expect((await requestRow(t.dataSource, lost.id)).replaced_card_id).toBe(card.id);
  });

  it('keeps one open request per beneficiary (409 REQUEST_ALREADY_OPEN), even under concurrent calls; a cancelled one frees the place', async () => {
    const b = await insured(t);
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        t.http().post('/v1/card-requests').set(bearer(keyA)).send({ beneficiaryId: b.id, reason: 'first_card' }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).toBe('REQUEST_ALREADY_OPEN');
    const before = await emissionCounts(t);
    const again = await t
      .http()
      .post('/v1/card-requests')
      .set(bearer(keyA))
      .send({ beneficiaryId: b.id, reason: 'damaged' })
      .expect(409);
    expect(again.body.code).toBe('REQUEST_ALREADY_OPEN');
    expect(await emissionCounts(t)).toEqual(before);

    const open = results.find((r) => r.status === 201)!.body;
    const cancelled = await t.http().post(`/v1/card-requests/${open.id}/cancel`).set(bearer(keyA)).expect(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.steps.map((s: { status: string }) => s.status)).toEqual(['form_sent', 'cancelled']);
    expect(cancelled.body.uploadLinkExpiresAt).toBeNull();
    expect((await requestEvents(t.dataSource, open.id)).map((e) => e.type)).toEqual([
      'request.form_sent',
      'request.cancelled',
    ]);
    const twice = await t.http().post(`/v1/card-requests/${open.id}/cancel`).set(bearer(keyA)).expect(409);
    expect(twice.body.code).toBe('REQUEST_NOT_CANCELLABLE');
    await openRequest(t, keyA, b.id);
  });

  it('validates the body (400) and lets only funds open requests', async () => {
    const b = await insured(t);
    const bad = await t
      .http()
      .post('/v1/card-requests')
      .set(bearer(keyA))
      .send({ beneficiaryId: b.id, reason: 'because' })
      .expect(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    const op = await t
      .http()
      .post('/v1/card-requests')
      .set(bearer(t.operatorKey))
      .send({ beneficiaryId: b.id, reason: 'first_card' })
      .expect(403);
    expect(op.body.code).toBe('PARTNER_KIND_FORBIDDEN');
  });

  it("isolates funds: another fund's request is the same 404 as an unknown id, everywhere", async () => {
    const b = await insured(t);
    const r = await openRequest(t, keyA, b.id);
    const unknownId = '00000000-0000-4000-8000-000000000000';
    for (const [method, suffix] of [
      ['get', ''],
      ['get', '/form.pdf'],
      ['post', '/cancel'],
      ['post', '/upload-link'],
    ] as const) {
      const theirs = await t.http()[method](`/v1/card-requests/${r.id}${suffix}`).set(bearer(keyB));
      const none = await t.http()[method](`/v1/card-requests/${unknownId}${suffix}`).set(bearer(keyB));
      const malformed = await t.http()[method](`/v1/card-requests/not-a-uuid${suffix}`).set(bearer(keyB));
      for (const res of [theirs, none, malformed]) {
        expect(res.status, `${method} ${suffix}`).toBe(404);
        expect(res.body.code).toBe('REQUEST_NOT_FOUND');
        expect(res.body.detail).toBe(none.body.detail);
      }
    }
    expect((await requestRow(t.dataSource, r.id)).status).toBe('form_sent');
    const listB = await t.http().get('/v1/card-requests?limit=1000').set(bearer(keyB)).expect(200);
    expect(listB.body.items.map((i: { id: string }) => i.id)).not.toContain(r.id);
    // Operators read every fund's requests.
    await t.http().get(`/v1/card-requests/${r.id}`).set(bearer(t.operatorKey)).expect(200);
    await t.http().get(`/v1/card-requests/${r.id}/form.pdf`).set(bearer(t.operatorKey)).expect(200);
  });

  it("lists the fund's own requests by keyset pages, filtered by status", async () => {
    const key = await fundKey(t, '017510002');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await openRequest(t, key, (await insured(t, '017510002')).id)).id);
    await t.http().post(`/v1/card-requests/${ids[0]}/cancel`).set(bearer(key)).expect(200);
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const res: Response = await t
        .http()
        .get('/v1/card-requests')
        .query({ limit: 2, ...(after ? { after } : {}) })
        .set(bearer(key))
        .expect(200);
      seen.push(...res.body.items.map((i: { id: string }) => i.id));
      after = res.body.next;
    } while (after);
    expect(seen.sort()).toEqual([...ids].sort());
    const open = await t.http().get('/v1/card-requests').query({ status: 'form_sent' }).set(bearer(key)).expect(200);
    expect(open.body.items.map((i: { id: string }) => i.id).sort()).toEqual(ids.slice(1).sort());
    expect(open.body.items[0]).toHaveProperty('formNumber');
    const bad = await t.http().get('/v1/card-requests').query({ status: 'nope' }).set(bearer(key)).expect(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
  });

  it('renews the upload link while the request waits for a photo', async () => {
    const b = await insured(t);
    const r = await openRequest(t, keyA, b.id);
    const res = await t.http().post(`/v1/card-requests/${r.id}/upload-link`).set(bearer(keyA)).expect(201);
    expect(res.body.photoUploadLink).toMatch(/^\/v1\/photo-uploads\/[A-Za-z0-9_-]{43}$/);
    expect(res.body.photoUploadLink).not.toBe(r.photoUploadLink);
    const row = await requestRow(t.dataSource, r.id);
    expect(
      Buffer.compare(
        row.upload_token_hash,
        createHash('sha256').update(res.body.photoUploadLink.split('/').pop()).digest(),
      ),
    ).toBe(0);
  });

  it('renders the pre-filled form as a deterministic PDF with the identity, the form number and its barcode', async () => {
    const b = await insured(t, ORG_A, {
      firstName: 'JEAN-ÉLOI',
      birthName: 'LÉVÊQUE',
      usageName: 'DURAND',
      birthDate: '1990-03-07',
      addressLines: ['M JEAN-ÉLOI DURAND', 'APPARTEMENT 12', '3 RUE DE LA PAIX', '75002 PARIS'],
    });
    const r = await openRequest(t, keyA, b.id);
    const res = await t
      .http()
      .get(`/v1/card-requests/${r.id}/form.pdf`)
      .set(bearer(keyA))
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/pdf/);
    expect(res.headers['content-disposition']).toContain(`${r.formNumber}.pdf`);
    const pdf: Buffer = res.body;
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = pdfText(pdf);
    const [y, m, d] = parisToday().split('-');
    for (const expected of [
      r.formNumber,
      `Le ${d}/${m}/${y}`,
      'LÉVÊQUE',
      'DURAND',
      'JEAN-ÉLOI',
      '07/03/1990',
      '3 RUE DE LA PAIX',
      '75002 PARIS',
      'CPAM DE PARIS - CENTRE 0001',
      'CENTRE PHOTO CARTE VITALE',
      '35913 RENNES CEDEX 9',
      'dans les 15 jours',
      '35 × 45 mm',
      'card-request-form/1',
    ]) {
      expect(text, expected).toContain(expected);
    }
    expect(pdf.toString('latin1')).toContain(`(Demande de carte Vitale - formulaire ${r.formNumber})`);
    expect(pdf.toString('latin1')).toContain('(card-request-form/1)');
    // The barcode drawn as bars decodes to the form number.
    expect(decodeWidths(barWidthsFromPdf(pdf))).toBe(r.formNumber);
    // Deterministic: the same request gives the same bytes.
    const again = await t
      .http()
      .get(`/v1/card-requests/${r.id}/form.pdf`)
      .set(bearer(keyA))
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(Buffer.compare(again.body, pdf)).toBe(0);
    const trail = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_entry WHERE action = 'card_request.form_printed' AND entity_id = $1`,
      [r.id],
    );
    expect(trail[0].n).toBe(2);
  });

  describe('deadlines job', () => {
    it('reminds the fund once past reminder_due_at, expires past expires_at, and leaves other requests alone', async () => {
      const jobs = t.app.get(RequestsJobs);
      const remind = await openRequest(t, keyA, (await insured(t)).id);
      const expire = await openRequest(t, keyA, (await insured(t)).id);
      const fresh = await openRequest(t, keyA, (await insured(t)).id);
      const available = await openRequest(t, keyA, (await insured(t)).id);
      await t.dataSource.query(`UPDATE card_request SET reminder_due_at = now() - interval '1 minute' WHERE id = $1`, [
        remind.id,
      ]);
      await t.dataSource.query(
        `UPDATE card_request SET reminder_due_at = now() - interval '30 days', expires_at = now() - interval '1 minute' WHERE id = $1`,
        [expire.id],
      );
      await t.dataSource.query(
        `UPDATE card_request SET status = 'photo_available', reminder_due_at = now() - interval '30 days', expires_at = now() - interval '1 minute' WHERE id = $1`,
        [available.id],
      );

      await jobs.emissionRequestDeadlines();
      await jobs.emissionRequestDeadlines();

      const reminded = await requestRow(t.dataSource, remind.id);
      expect(reminded.status).toBe('form_sent');
      expect(reminded.reminded_at).not.toBeNull();
      expect((await requestEvents(t.dataSource, remind.id)).map((e) => e.type)).toEqual([
        'request.form_sent',
        'request.reminder',
      ]);

      const expired = await t.http().get(`/v1/card-requests/${expire.id}`).set(bearer(keyA)).expect(200);
      expect(expired.body.status).toBe('expired');
      expect(expired.body.steps.map((s: { status: string }) => s.status)).toEqual(['form_sent', 'expired']);
      expect(expired.body.uploadLinkExpiresAt).toBeNull();
      const expiredEvents = await requestEvents(t.dataSource, expire.id);
      expect(expiredEvents.map((e) => e.type)).toEqual(['request.form_sent', 'request.expired']);
      expect(expiredEvents[1].data).toEqual({
        requestId: expire.id,
        formNumber: expire.formNumber,
        status: 'form_sent',
      });

      expect((await requestEvents(t.dataSource, fresh.id)).map((e) => e.type)).toEqual(['request.form_sent']);
      expect((await requestRow(t.dataSource, available.id)).status).toBe('photo_available');
      expect((await requestEvents(t.dataSource, available.id)).map((e) => e.type)).toEqual(['request.form_sent']);

      // An expired request no longer blocks a new one.
      const b = (await requestRow(t.dataSource, expire.id)).beneficiary_id;
      await openRequest(t, keyA, b);
      expect(await t.app.get(RequestDeadlinesService).run()).toEqual({ expired: 0, reminded: 0 });
    });

    it('is enqueued by the cron as one singleton job per hour', async () => {
      const scheduler = t.app.get(JobScheduler);
      const count = async () =>
        (
          await t.dataSource.query(
            `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'emission.request-deadlines'`,
          )
        )[0].n;
      const before = await count();
      await scheduler.tick(JobName.EmissionRequestDeadlines);
      await scheduler.tick(JobName.EmissionRequestDeadlines);
      expect(await count()).toBe(before + 1);
    });
  });

  it('refuses other partner kinds', async () => {
    const centre = await t.partner(PartnerKind.DigitisationCentre);
    const res = await t.http().get('/v1/card-requests').set(bearer(centre.key)).expect(403);
    expect(res.body.code).toBe('PARTNER_KIND_FORBIDDEN');
  });
});

/** supertest: keep a binary body as a Buffer. */
function binary(res: Response, cb: (err: Error | null, body: Buffer) => void) {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => cb(null, Buffer.concat(chunks)));
}

/** The text shown by the (uncompressed) content stream: pdfkit writes it as hex strings in TJ arrays, WinAnsi-encoded. */
function pdfText(pdf: Buffer): string {
  const src = pdf.toString('latin1');
  const lines: string[] = [];
  for (const m of src.matchAll(/\[((?:<[0-9a-f]*>\s*-?[\d.]*\s*)+)\]\s*TJ/g)) {
    lines.push([...m[1].matchAll(/<([0-9a-f]*)>/g)].map((h) => winAnsi(Buffer.from(h[1], 'hex'))).join(''));
  }
  return lines.join('\n');
}

function winAnsi(b: Buffer): string {
  const extra: Record<number, string> = { 0x92: '\u2019', 0x96: '\u2013', 0x8c: 'Œ', 0x9c: 'œ', 0x9f: 'Ÿ' };
  return [...b].map((c) => extra[c] ?? String.fromCharCode(c)).join('');
}

/** Widths (bar, space, bar, ...) of the barcode rectangles, in modules. */
function barWidthsFromPdf(pdf: Buffer): number[] {
  const barHeight = (12 * 72) / 25.4;
  const bars = [...pdf.toString('latin1').matchAll(/([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re/g)]
    .map((m) => ({ x: Number(m[1]), w: Number(m[3]), h: Number(m[4]) }))
    .filter((b) => Math.abs(b.h - barHeight) < 0.01)
    .sort((a, b) => a.x - b.x);
  const module = Math.min(...bars.map((b) => b.w));
  const widths: number[] = [];
  bars.forEach((b, i) => {
    if (i > 0) widths.push(Math.round((b.x - (bars[i - 1].x + bars[i - 1].w)) / module));
    widths.push(Math.round(b.w / module));
  });
  return widths;
}

/** A test-side Code 128 reader (sets B and C), independent of the encoder's logic. */
function decodeWidths(widths: number[]): string {
  const symbols: number[] = [];
  for (let i = 0; i + 6 <= widths.length - 7; i += 6) {
    const v = CODE128.PATTERNS.indexOf(widths.slice(i, i + 6).join(''));
    if (v < 0) throw new Error(`unknown pattern at ${i}`);
    symbols.push(v);
  }
  expect(widths.slice(-7).join('')).toBe(CODE128.STOP_PATTERN);
  const [start, ...rest] = symbols;
  const checksum = rest.pop()!;
  expect(rest.reduce((s, v, k) => s + v * (k + 1), start) % 103).toBe(checksum);
  let set = start === CODE128.START_C ? 'C' : 'B';
  let out = '';
  for (const v of rest) {
    if (v === CODE128.TO_B) set = 'B';
    else if (v === CODE128.TO_C) set = 'C';
    else out += set === 'C' ? String(v).padStart(2, '0') : String.fromCharCode(v + 32);
  }
  return out;
}
