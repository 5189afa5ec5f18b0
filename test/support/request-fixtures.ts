import type { DataSource } from 'typeorm';
import { PartnerKind } from '../../src/partners/partner-kind.enum.js';
import { parisToday } from '../../src/register/beneficiary-input.js';
import { insertBeneficiary, type BeneficiaryRow } from './factories.js';
import { tempDir } from './temp-dirs.js';
import { bearer, type TestApp } from './test-app.js';

export const ORG_A = '017510001';
export const ORG_B = '016910001';

/** A throw-away DATA_DIR, so photo files never land in the project's var/; removed after the test file. */
export const tempDataDir = () => tempDir('emission');

/** A beneficiary of `organismeCode` and a fund key of that organisme. */
export async function insured(
  t: TestApp,
  organismeCode = ORG_A,
  overrides: Partial<BeneficiaryRow> = {},
): Promise<BeneficiaryRow> {
  return insertBeneficiary(t.dataSource, { organismeCode, ...overrides });
}

export async function fundKey(t: TestApp, organismeCode = ORG_A): Promise<string> {
  return (await t.partner(PartnerKind.Fund, organismeCode)).key;
}

export interface CreatedRequest {
  id: string;
  formNumber: string;
  status: string;
  photoUploadLink: string;
  [k: string]: unknown;
}

/** POST /v1/card-requests, expecting 201. */
export async function openRequest(
  t: TestApp,
  key: string,
  beneficiaryId: string,
  body: Record<string, unknown> = {},
): Promise<CreatedRequest> {
  const res = await t
    .http()
    .post('/v1/card-requests')
    .set(bearer(key))
    .send({ beneficiaryId, reason: 'first_card', ...body });
  if (res.status !== 201) throw new Error(`open request: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as CreatedRequest;
}

/** The fund events of one request, oldest first. */
export async function requestEvents(
  ds: DataSource,
  requestId: string,
): Promise<Array<{ type: string; data: Record<string, unknown>; organisme_code: string }>> {
  return ds.query(
    `SELECT type, data, organisme_code FROM fund_event WHERE subject_type = 'card_request' AND subject_id = $1 ORDER BY id`,
    [requestId],
  );
}

/** Row counts of everything step 1-3 writes: a refusal must leave them unchanged. */
/** Row counts of the emission tables, taken once the jobs earlier steps set off have finished. */
export async function emissionCounts(t: Pick<TestApp, 'dataSource' | 'jobsSettled'>): Promise<Record<string, number>> {
  await t.jobsSettled();
  const [row] = await t.dataSource.query(`SELECT
      (SELECT count(*) FROM card_request)::int AS requests, (SELECT count(*) FROM card_request_step)::int AS steps,
      (SELECT count(*) FROM fund_event)::int AS events, (SELECT count(*) FROM photo)::int AS photos,
      (SELECT count(*) FROM audit_entry WHERE entity_type IN ('card_request', 'photo'))::int AS audits`);
  return row;
}

export async function requestRow(ds: DataSource, id: string): Promise<Record<string, any>> {
  const [row] = await ds.query(`SELECT * FROM card_request WHERE id = $1`, [id]);
  return row;
}

/** Polls until `probe` returns a truthy value (the job workers poll every 0.5 s in tests). */
export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the request reaches `status`. */
export function waitForStatus(t: TestApp, id: string, status: string): Promise<Record<string, any>> {
  return waitFor(async () => {
    const row = await requestRow(t.dataSource, id);
    return row.status === status ? row : null;
  });
}

/** A YYYY-MM-DD date `years` before the register's today (Paris), moved by `plusDays`. */
export function yearsAgo(years: number, plusDays = 0): string {
  const [y, m, d] = parisToday().split('-').map(Number);
  const day = m === 2 && d === 29 ? 28 : d;
  const date = new Date(Date.UTC(y - years, m - 1, day + plusDays));
  return date.toISOString().slice(0, 10);
}
