import { expect } from 'vitest';
import { nirKey } from '../../src/register/nir.js';
import { bearer, type TestApp } from './test-app.js';

export const CSV_HEADER_LINE =
  'nir;first_name;birth_name;usage_name;birth_date;birth_rank;address_line_1;address_line_2;address_line_3;address_line_4;address_line_5;address_line_6;affiliated_from';

/**
 * The i-th NIR of a series (i < 999,000), unique and valid. The month 30 and the `series` digits in the
 * department keep these apart from factories.makeNir (months 01-12) and from other series.
 */
export function seqNir(i: number, series = 11, sex: 1 | 2 = i % 2 === 0 ? 1 : 2): string {
  const commune = String(Math.floor(i / 999) + 1).padStart(3, '0');
  const order = String((i % 999) + 1).padStart(3, '0');
  const body = `${sex}85${'30'}${String(series).padStart(2, '0')}${commune}${order}`;
  return body + nirKey(body);
}

/** A NIR with its key deliberately wrong. */
export function withWrongKey(nir: string): string {
  const key = Number(nir.slice(13));
  return nir.slice(0, 13) + String((key % 97) + 1).padStart(2, '0');
}

export interface CsvRow {
  nir: string;
  firstName: string;
  birthName: string;
  usageName?: string;
  birthDate: string;
  birthRank?: number | string;
  addressLines: string[];
  affiliatedFrom?: string;
}

export function csvLine(r: CsvRow): string {
  const address = [...r.addressLines, '', '', '', '', '', ''].slice(0, 6);
  return [
    r.nir,
    r.firstName,
    r.birthName,
    r.usageName ?? '',
    r.birthDate,
    r.birthRank ?? '',
    ...address,
    r.affiliatedFrom ?? '',
  ].join(';');
}

export function person(i: number, series = 11): CsvRow {
  return {
    nir: seqNir(i, series),
    firstName: i % 3 === 0 ? 'Hélène' : i % 3 === 1 ? 'Jean-Luc' : 'Marie-Ange',
    birthName: i % 2 === 0 ? "D'Artagnan" : 'Le Goff',
    birthDate: '1985-03-12',
    birthRank: i % 50 === 0 ? 2 : undefined,
    addressLines: [`${(i % 200) + 1} rue des Lilas`, '75011 Paris'],
    affiliatedFrom: '2024-01-01',
  };
}

/** Polls an import until it leaves pending/processing (jobs poll every 0.5 s in tests). */
export async function waitForImport(
  t: TestApp,
  key: string,
  id: string,
  timeoutMs = 90_000,
): Promise<Record<string, any>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.http().get(`/v1/beneficiaries/imports/${id}`).set(bearer(key)).expect(200);
    if (res.body.status === 'done' || res.body.status === 'failed') return res.body;
    if (Date.now() > until) throw new Error(`import ${id} still ${res.body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every reject of an import, following the `next` cursor. */
export async function allRejects(
  t: TestApp,
  key: string,
  id: string,
): Promise<{ line: number; code: string; field: string | null; message: string }[]> {
  const out: { line: number; code: string; field: string | null; message: string }[] = [];
  let after = 0;
  for (;;) {
    const res = await t
      .http()
      .get(`/v1/beneficiaries/imports/${id}/rejects`)
      .query({ after, limit: 5000 })
      .set(bearer(key))
      .expect(200);
    out.push(...res.body.items);
    if (res.body.next === null) return out;
    expect(res.body.next).toBeGreaterThan(after);
    after = res.body.next;
  }
}

export function uploadCsv(t: TestApp, key: string, text: string | Buffer) {
  return t.http().post('/v1/beneficiaries/imports').set(bearer(key)).set('Content-Type', 'text/csv').send(text);
}
