import { Decrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import sharp from 'sharp';
import { createApp } from '../../src/app.factory.js';
import { AppConfig } from '../../src/config/app-config.js';
import { makeFormNumber } from '../../src/emission/requests/form-number.js';
import { VendorsService } from '../../src/emission/vendors/vendors.service.js';
import { PartnerKind } from '../../src/partners/partner-kind.enum.js';
import { PartnersService } from '../../src/partners/partners.service.js';
import { ImageProcessor } from '../../src/photo/image-processor.js';
import { PhotoStore } from '../../src/photo/photo-store.js';
import { systemActor } from '../../src/platform/auth/actor.js';
import { createLogger } from '../../src/platform/logging/logger.js';
import { CURRENT } from '../../src/register/sql.js';
import { portrait } from '../../src/synthetic/portrait.js';
import type { CardKeys } from '../../src/update/card-crypto.js';

/**
 * Set-up of the emission benchmark (never timed): the application context with the real modules, one default
 * vendor, one shared accepted photo, and N card requests waiting at photo_available, written set-based.
 */

/** The application with the real modules, no HTTP listener, no workers, crons or SFTP server. */
export async function startChainApp(url: string, dataDir: string, batchSize: number): Promise<NestFastifyApplication> {
  const config = Object.assign(new AppConfig(), {
    logLevel: 'silent',
    workersEnabled: false,
    cronsEnabled: false,
    sftpEnabled: false,
    seedReferenceData: false,
    dataDir,
    personalisationBatchSize: batchSize,
  });
  const app = await createApp(config, url, createLogger('silent'));
  await app.init();
  return app;
}

export interface BenchVendor {
  partnerId: string;
  login: string;
  /** Its age identity: its personalisation files are encrypted to the matching recipient. */
  ageIdentity: string;
  /** The same identity in a key file, as `age -d -i` takes it. */
  ageIdentityFile: string;
}

/** A personalisation_vendor partner made the default vendor (every regime's cards go to it), with its age recipient. */
export async function createDefaultVendor(
  app: NestFastifyApplication,
  login: string,
  dir: string,
): Promise<BenchVendor> {
  const partner = await app
    .get(PartnersService)
    .createPartner(systemActor(), { kind: PartnerKind.PersonalisationVendor, name: 'Bench vendor' });
  const vendors = app.get(VendorsService);
  await vendors.create(systemActor(), { partnerId: partner.id, login, isDefault: true, regimeCodes: [] });
  const ageIdentity = await generateX25519Identity();
  await vendors.setAgeRecipient(systemActor(), partner.id, await identityToRecipient(ageIdentity));
  const ageIdentityFile = path.join(dir, `${login}_age.txt`);
  writeFileSync(ageIdentityFile, `${ageIdentity}\n`, { mode: 0o600 });
  return { partnerId: partner.id, login, ageIdentity, ageIdentityFile };
}

/** Whether the vendor's off-the-shelf tool, the `age` binary, is installed (.ci/run installs Debian's). */
export const AGE_BINARY = spawnSync('age', ['--version']).status === 0;

/**
 * The vendor opens a perso/2 file with its age identity: with the `age` binary as a real vendor does (`age -d -i`),
 * else with npm `age-encryption` (pure JavaScript, about twenty times slower).
 */
export async function decryptPersoFile(vendor: BenchVendor, encrypted: Buffer): Promise<Buffer> {
  if (AGE_BINARY) {
    return new Promise((resolve, reject) => {
      const child = execFile(
        'age',
        ['-d', '-i', vendor.ageIdentityFile],
        { encoding: 'buffer', maxBuffer: 1 << 30 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`age -d: ${err.message} ${stderr.toString()}`));
          else resolve(stdout);
        },
      );
      child.stdin!.end(encrypted);
    });
  }
  const d = new Decrypter();
  d.addIdentity(vendor.ageIdentity);
  return Buffer.from(await d.decrypt(new Uint8Array(encrypted)));
}

export interface SharedPhoto {
  chipKey: string;
  printKey: string;
  sha256: string;
  bytes: number;
  chipBytes: number;
}

/**
 * One synthetic portrait put through the product's own normalisation (the chip image it makes is at most
 * 15,000 bytes: a realistic ~11 kB here), stored once in the PhotoStore: every request's accepted photo points to these files.
 */
export async function storeSharedPhoto(app: NestFastifyApplication): Promise<SharedPhoto> {
  // Noise as a real scan's grain: the chip image comes out at ~11 kB (a plain synthetic portrait gives ~4 kB).
  const img = portrait(600, 800, { seed: 7, noise: 48 });
  const scan = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .jpeg({ quality: 92 })
    .toBuffer();
  const { print, chip } = await app.get(ImageProcessor).normalise(scan);
  const store = app.get(PhotoStore);
  const chipKey = 'bench/shared/chip.jpg';
  const printKey = 'bench/shared/print.jpg';
  await store.put(chipKey, chip);
  await store.put(printKey, print);
  return {
    chipKey,
    printKey,
    sha256: createHash('sha256').update(scan).digest('hex'),
    bytes: scan.length,
    chipBytes: chip.length,
  };
}

/**
 * One card request per beneficiary of the register (affiliated to the organisme of its current affiliation),
 * at photo_available, ordering automatically, with an accepted photo and its step row; form numbers from the
 * sequence with their Luhn digit. Returns the request ids.
 */
export async function insertReadyRequests(url: string, today: string, photo: SharedPhoto): Promise<string[]> {
  const c = new pg.Client({ connectionString: url, application_name: 'vitale-bench-setup' });
  await c.connect();
  try {
    const {
      rows: [{ n }],
    } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM beneficiary');
    const { rows: seq } = await c.query<{ v: string }>(
      `SELECT nextval('card_request_form_seq')::text AS v FROM generate_series(1, $1)`,
      [n],
    );
    const formNumbers = seq.map((r) => makeFormNumber(r.v));
    await c.query('BEGIN');
    const inserted = await c.query(
      `INSERT INTO card_request (id, form_number, beneficiary_id, organisme_code, reason, status, auto_order, photo_id, reminder_due_at, expires_at)
       SELECT gen_random_uuid(), f.num, x.id, x.organisme_code, 'first_card', 'photo_available', true, gen_random_uuid(),
              now() + interval '15 days', now() + interval '45 days'
         FROM (SELECT b.id, a.organisme_code, row_number() OVER (ORDER BY b.id) AS rn
                 FROM beneficiary b JOIN affiliation a ON a.beneficiary_id = b.id AND ${CURRENT('a', '$2::date')}) x
         JOIN unnest($1::text[]) WITH ORDINALITY AS f(num, rn) ON f.rn = x.rn`,
      [formNumbers, today],
    );
    if (inserted.rowCount !== n)
      throw new Error(`${n} beneficiaries but ${inserted.rowCount} with a current affiliation`);
    await c.query(`INSERT INTO card_request_step (request_id, status) SELECT id, status FROM card_request`);
    await c.query(
      `INSERT INTO photo (id, request_id, source, status, original_key, print_key, chip_key, sha256, byte_size, received_at, checked_at)
       SELECT r.photo_id, r.id, 'digitisation_centre', 'accepted', 'bench/shared/original.jpg', $1, $2, $3, $4, now() - interval '1 day', now()
         FROM card_request r`,
      [photo.printKey, photo.chipKey, photo.sha256, photo.bytes],
    );
    await c.query('COMMIT');
    // As autovacuum would have by then on a live database: the planner knows the tables' sizes.
    await c.query('VACUUM ANALYZE card_request, card_request_step, photo, beneficiary, affiliation');
    const { rows } = await c.query<{ id: string }>(`SELECT id FROM card_request ORDER BY status_changed_at, id`);
    return rows.map((r) => r.id);
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    await c.end();
  }
}

/** The vendor's side of a personalisation file: the serials of its records, in file order. */
export function serialsOfPersoFile(bytes: Buffer): string[] {
  const serials: string[] = [];
  let at = bytes.indexOf(0x0a) + 1; // after the header
  while (at > 0 && at < bytes.length) {
    const end = bytes.indexOf(0x0a, at);
    if (bytes[at] === 0x52 /* R */ && bytes[at + 1] === 0x7c /* | */)
      serials.push(bytes.toString('latin1', at + 2, at + 14));
    at = end + 1;
  }
  return serials;
}

/**
 * A ret/2 file reporting every card SHIPPED, personalised a minute ago and mailed now, each with its chip's public keys
 * (`chipKeys`, one pair per serial, in order: born in the chips, generated before the timing starts).
 */
export function allShippedReturnFile(
  login: string,
  serials: readonly string[],
  chipKeys: readonly CardKeys[],
  now = new Date(),
): Buffer {
  const personalised = new Date(now.getTime() - 60_000).toISOString();
  const shipped = now.toISOString();
  const lines = [`H|ret|2|${login}|${shipped}`];
  serials.forEach((s, i) =>
    lines.push(
      `D|${s}|CHIP${s}|${personalised}|${shipped}|SHIPPED||${chipKeys[i].authPublic}|${chipKeys[i].encPublic}`,
    ),
  );
  lines.push(`T|${serials.length}`);
  return Buffer.from(lines.join('\n') + '\n', 'utf8');
}
