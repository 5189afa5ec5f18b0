import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DataSource } from 'typeorm';
import { CardState } from '../../src/cards/card-state.enum.js';
import { FundEventType, type NewFundEvent } from '../../src/events/event-types.js';
import { FundEventsService } from '../../src/events/fund-events.service.js';
import type { StoredFundEvent } from '../../src/events/fund-event.repository.js';
import { RequestStatus } from '../../src/emission/requests/request-status.enum.js';
import { insertBeneficiary, insertCard } from './factories.js';
import type { TestApp } from './test-app.js';

export const ORG_A = '017510001';
export const ORG_B = '016910001';

/** An event as another module would append it (ids and states only). */
export function fundEvent(overrides: Partial<NewFundEvent> = {}): NewFundEvent {
  return {
    organismeCode: ORG_A,
    type: FundEventType.CardShipped,
    subjectType: 'card',
    subjectId: randomUUID(),
    data: { note: 'test' },
    ...overrides,
  };
}

/** Appends events the way every module does: through FundEventsService, in a committed transaction. */
export function appendEvents(t: TestApp, ...events: NewFundEvent[]): Promise<StoredFundEvent[]> {
  return t.dataSource.transaction((em) => t.app.get(FundEventsService).append(em, ...events));
}

let formSeq = randomInt(10_000_000, 80_000_000);

export interface RequestFixture {
  organismeCode?: string;
  status?: RequestStatus;
  autoOrder?: boolean;
  /** Hours since the request entered its status (also how long since it was last touched). */
  idleHours?: number;
  reinjections?: number;
  needsReview?: boolean;
  cardId?: string | null;
  beneficiaryId?: string;
}

/** A card request straight into the database with its current step row (test set-up only; no other module's code). */
export async function insertRequest(
  ds: DataSource,
  f: RequestFixture = {},
): Promise<{ id: string; beneficiaryId: string; organismeCode: string }> {
  const organismeCode = f.organismeCode ?? ORG_A;
  const beneficiaryId = f.beneficiaryId ?? (await insertBeneficiary(ds, { organismeCode })).id;
  const idle = f.idleHours ?? 0;
  const [{ id }] = await ds.query(
    `INSERT INTO card_request (form_number, beneficiary_id, organisme_code, reason, status, auto_order, card_id, reminder_due_at, expires_at,
                               status_changed_at, updated_at, reinjections, needs_review)
     VALUES ($1, $2, $3, 'first_card', $4, $5, $6, now() + interval '15 days', now() + interval '45 days',
             now() - make_interval(hours => $7::int), now() - make_interval(hours => $7::int), $8, $9)
     RETURNING id::text`,
    [
      String(formSeq++),
      beneficiaryId,
      organismeCode,
      f.status ?? RequestStatus.FormSent,
      f.autoOrder ?? false,
      f.cardId ?? null,
      idle,
      f.reinjections ?? 0,
      f.needsReview ?? false,
    ],
  );
  await insertStep(ds, id, f.status ?? RequestStatus.FormSent, idle);
  return { id, beneficiaryId, organismeCode };
}

/** A step row `hoursAgo` hours in the past (fractions allowed). */
export async function insertStep(
  ds: DataSource,
  requestId: string,
  status: RequestStatus,
  hoursAgo: number,
): Promise<void> {
  await ds.query(
    `INSERT INTO card_request_step (request_id, status, entered_at) VALUES ($1, $2, now() - $3::float8 * interval '1 hour')`,
    [requestId, status, hoursAgo],
  );
}

export async function insertPhoto(
  ds: DataSource,
  requestId: string,
  status: 'pending' | 'accepted' | 'rejected' = 'pending',
): Promise<string> {
  const [{ id }] = await ds.query(
    `INSERT INTO photo (request_id, source, status, original_key, sha256, byte_size) VALUES ($1, 'online', $2, $3, $4, 1234) RETURNING id::text`,
    [requestId, status, `test/${randomUUID()}`, randomBytes(32).toString('hex')],
  );
  return id;
}

/** A request that has an ordered card (for cancel and the in_personalisation steps). */
export async function requestWithCard(
  ds: DataSource,
  f: RequestFixture & { cardState?: CardState } = {},
): Promise<{ id: string; cardId: string }> {
  const organismeCode = f.organismeCode ?? ORG_A;
  const b = await insertBeneficiary(ds, { organismeCode });
  const card = await insertCard(ds, { beneficiaryId: b.id, organismeCode, state: f.cardState ?? CardState.Ordered });
  const r = await insertRequest(ds, { ...f, organismeCode, beneficiaryId: b.id, cardId: card.id });
  return { id: r.id, cardId: card.id };
}

/** A personalisation batch of a vendor, and the cards put in it; once written, its file a perso/2 one. */
export async function insertBatch(
  ds: DataSource,
  vendorPartnerId: string,
  status: 'allocated' | 'written' | 'returned',
  cardIds: string[],
): Promise<string> {
  const written = status !== 'allocated';
  const [{ id }] = await ds.query(
    `INSERT INTO personalisation_batch (batch_number, vendor_partner_id, status, card_count, perso_version, plaintext_sha256)
     VALUES (nextval('personalisation_batch_seq'), $1, $2, $3, $4, $5)
     RETURNING id::text`,
    [vendorPartnerId, status, cardIds.length, written ? 2 : null, written ? '0'.repeat(64) : null],
  );
  await ds.query(`UPDATE card SET batch_id = $1 WHERE id = ANY ($2::uuid[])`, [id, cardIds]);
  return id;
}

/** Jobs waiting in a pg-boss queue (workers off), oldest first. */
export async function queuedJobs(ds: DataSource, name: string): Promise<Array<Record<string, unknown>>> {
  const rows: Array<{ data: Record<string, unknown> }> = await ds.query(
    `SELECT data FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry') ORDER BY created_on, id`,
    [name],
  );
  return rows.map((r) => r.data);
}

export interface ReceivedCall {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/**
 * A real HTTP endpoint on 127.0.0.1 standing for a fund's webhook receiver. `respond` decides each answer
 * (status code, or 'hang' to never answer); every call is recorded with its raw body.
 */
export async function webhookReceiver(respond: (call: ReceivedCall, index: number) => number | 'hang' = () => 204) {
  const calls: ReceivedCall[] = [];
  const hanging: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const call = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      calls.push(call);
      const answer = respond(call, calls.length - 1);
      if (answer === 'hang') {
        hanging.push(res);
        return;
      }
      res.statusCode = answer;
      res.end(answer >= 300 ? 'receiver says no' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/vitale`,
    calls,
    close: async () => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls until `check` returns a truthy value or the time is up. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 20_000, stepMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
