import { createHash, randomUUID } from 'node:crypto';
import sharp from 'sharp';
import type { DataSource } from 'typeorm';
import { RequestReason, RequestStatus } from '../../src/emission/requests/request-status.enum.js';
import { PhotoStore } from '../../src/photo/photo-store.js';
import { insertBeneficiary, type BeneficiaryRow } from './factories.js';
import { tempDir } from './temp-dirs.js';
import type { TestApp } from './test-app.js';

export const ORG_A = '017510001';
export const ORG_B = '016910001';
/** An organisme of the agricultural regime (02), for routing tests. */
export const ORG_MSA = '020110001';

/** A throw-away DATA_DIR (photos, SFTP tree, keys) per test file; removed after it. */
export const tempDataDir = () => tempDir('emission');

/** A small colour JPEG, different for each seed (stands for the chip image the photo step makes). */
export function chipJpeg(seed = 1): Promise<Buffer> {
  return sharp({
    create: { width: 60, height: 80, channels: 3, background: { r: (seed * 37) % 256, g: (seed * 91) % 256, b: 200 } },
  })
    .jpeg({ quality: 80 })
    .toBuffer();
}

export interface ReadyRequest {
  requestId: string;
  beneficiary: BeneficiaryRow;
  photoId: string | null;
  chipPhoto: Buffer | null;
}

export interface ReadyOptions {
  organismeCode?: string;
  reason?: RequestReason;
  status?: RequestStatus;
  autoOrder?: boolean;
  replacedCardId?: string | null;
  beneficiary?: BeneficiaryRow;
  /** false: no photo at all; 'rejected': a photo that was refused; 'no-file': accepted but its files are missing. */
  photo?: true | false | 'rejected' | 'no-file';
  photoAgeDays?: number;
  seed?: number;
}

let seeds = 0;

/**
 * A card request at photo_available with an accepted photo (row + chip/print files in the PhotoStore), straight
 * into the database: the photo step belongs to another module, step 4 starts here.
 */
export async function requestReadyToOrder(t: TestApp, o: ReadyOptions = {}): Promise<ReadyRequest> {
  const ds = t.dataSource;
  const organismeCode = o.organismeCode ?? ORG_A;
  const beneficiary = o.beneficiary ?? (await insertBeneficiary(ds, { organismeCode }));
  const [{ id: requestId }] = await ds.query(
    `INSERT INTO card_request (form_number, beneficiary_id, organisme_code, reason, status, auto_order, replaced_card_id, reminder_due_at, expires_at)
     VALUES (nextval('card_request_form_seq')::text || '0', $1, $2, $3, $4, $5, $6, now() + interval '15 days', now() + interval '45 days')
     RETURNING id`,
    [
      beneficiary.id,
      organismeCode,
      o.reason ?? RequestReason.FirstCard,
      o.status ?? RequestStatus.PhotoAvailable,
      o.autoOrder ?? false,
      o.replacedCardId ?? null,
    ],
  );
  await ds.query(`INSERT INTO card_request_step (request_id, status) VALUES ($1, $2)`, [
    requestId,
    o.status ?? RequestStatus.PhotoAvailable,
  ]);
  const photo = o.photo ?? true;
  if (photo === false) return { requestId, beneficiary, photoId: null, chipPhoto: null };
  const photoId = randomUUID();
  const chipKey = `test/${photoId}/chip.jpg`;
  const printKey = `test/${photoId}/print.jpg`;
  const chip = await chipJpeg(o.seed ?? ++seeds);
  if (photo !== 'no-file') {
    const store = t.app.get(PhotoStore);
    await store.put(chipKey, chip);
    await store.put(printKey, chip);
  }
  await ds.query(
    `INSERT INTO photo (id, request_id, source, status, original_key, print_key, chip_key, sha256, byte_size, received_at, checked_at)
     VALUES ($1, $2, 'digitisation_centre', $3, $4, $5, $6, $7, $8, now() - make_interval(days => $9), now())`,
    [
      photoId,
      requestId,
      photo === 'rejected' ? 'rejected' : 'accepted',
      `test/${photoId}/original.jpg`,
      photo === 'rejected' ? null : printKey,
      photo === 'rejected' ? null : chipKey,
      createHash('sha256').update(chip).digest('hex'),
      chip.length,
      o.photoAgeDays ?? 1,
    ],
  );
  await ds.query(`UPDATE card_request SET photo_id = $2 WHERE id = $1`, [requestId, photoId]);
  return { requestId, beneficiary, photoId, chipPhoto: chip };
}

/** The request row as stored (to prove a refusal changed nothing). */
export async function requestRow(ds: DataSource, id: string): Promise<Record<string, unknown>> {
  return (await ds.query(`SELECT * FROM card_request WHERE id = $1`, [id]))[0];
}

/** Polls until `check` returns a truthy value (jobs run every 0.5 s in tests). */
export async function waitFor<T>(check: () => Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Counts rows, for "nothing was written" checks. */
export async function counts(ds: DataSource): Promise<Record<string, number>> {
  const [r] =
    await ds.query(`SELECT (SELECT count(*) FROM card)::int AS cards, (SELECT count(*) FROM fund_event)::int AS events,
    (SELECT count(*) FROM audit_entry)::int AS audit, (SELECT count(*) FROM card_request_step)::int AS steps`);
  return r;
}
