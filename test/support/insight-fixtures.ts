import { randomBytes, randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { CardState } from '../../src/cards/card-state.enum.js';
import { RequestStatus } from '../../src/emission/requests/request-status.enum.js';
import { PhotoStore } from '../../src/photo/photo-store.js';
import { insertRequest } from './event-fixtures.js';
import { insertBeneficiary, insertCard } from './factories.js';
import type { TestApp } from './test-app.js';

/**
 * An insured of an organisme with a card and a request waiting at photo_received (idle `idleHours`) whose pending
 * photo's original is a real JPEG in the photo store: too small for the checks, so checking it refuses it with
 * every measure (the console's photo page and the dashboard's re-injection use it).
 */
export async function insuredWithPendingPhoto(
  t: TestApp,
  o: { organismeCode: string; idleHours?: number; birthName?: string; jpeg?: Buffer },
): Promise<{ beneficiaryId: string; nir: string; serial: string; requestId: string; photoId: string }> {
  const b = await insertBeneficiary(t.dataSource, {
    organismeCode: o.organismeCode,
    ...(o.birthName ? { birthName: o.birthName } : {}),
  });
  const card = await insertCard(t.dataSource, {
    beneficiaryId: b.id,
    organismeCode: o.organismeCode,
    state: CardState.Active,
  });
  const r = await insertRequest(t.dataSource, {
    organismeCode: o.organismeCode,
    beneficiaryId: b.id,
    status: RequestStatus.PhotoReceived,
    idleHours: o.idleHours ?? 0,
  });
  const jpeg =
    o.jpeg ??
    (await sharp({ create: { width: 120, height: 150, channels: 3, background: { r: 90, g: 110, b: 140 } } })
      .jpeg()
      .toBuffer());
  const key = `test/${randomUUID()}`;
  await t.app.get(PhotoStore).put(key, jpeg);
  const [{ id: photoId }] = await t.dataSource.query(
    `INSERT INTO photo (request_id, source, status, original_key, sha256, byte_size)
     VALUES ($1, 'online', 'pending', $2, $3, $4) RETURNING id::text`,
    [r.id, key, randomBytes(32).toString('hex'), jpeg.length],
  );
  return { beneficiaryId: b.id, nir: b.nir, serial: card.serial, requestId: r.id, photoId };
}
