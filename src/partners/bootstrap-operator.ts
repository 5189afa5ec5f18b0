import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { systemActor } from '../platform/auth/actor.js';
import { PartnerKind } from './partner-kind.enum.js';
import { PartnerRepository } from './partner.repository.js';
import { PartnersService } from './partners.service.js';

/**
 * On a fresh system there is no operator to create the first keys. Creates one, once, and writes its key
 * to a file readable by the owner only (never to the logs). Returns the file path when it did.
 */
export async function ensureBootstrapOperator(app: INestApplicationContext, dataDir: string): Promise<string | null> {
  if ((await app.get(PartnerRepository).countOperators()) > 0) return null;
  const service = app.get(PartnersService);
  const partner = await service.createPartner(systemActor(), {
    kind: PartnerKind.Operator,
    name: 'Bootstrap operator',
  });
  const key = await service.createApiKey(systemActor(), partner.id, 'bootstrap');
  mkdirSync(dataDir, { recursive: true });
  const file = path.resolve(dataDir, 'bootstrap-operator.key');
  writeFileSync(file, key.key + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
