import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppConfig } from '../src/config/app-config.js';
import { SigningService } from '../src/platform/crypto/signing.service.js';

const service = (dataDir: string) => {
  const s = new SigningService(Object.assign(new AppConfig(), { dataDir }));
  s.onModuleInit();
  return s;
};

describe('signing keys shared by several instances (one DATA_DIR)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.useRealTimers();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('a rotation on one instance is published by the others at once and used for signing within seconds', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vitale-signing-'));
    dirs.push(dir);
    const a = service(dir);
    const b = service(dir);
    const first = a.publicKeys().find((k) => k.current)!.keyId;
    expect(b.sign('x').keyId).toBe(first);
    const rotated = a.rotate().keyId;
    expect(rotated).not.toBe(first);
    // Published by the other instance on the next read of the list (a receipt signed by A verifies through B).
    expect(b.publicKeys().map((k) => [k.keyId, k.current])).toEqual(
      expect.arrayContaining([
        [first, false],
        [rotated, true],
      ]),
    );
    const signed = a.sign('payload');
    expect(b.verify('payload', signed)).toBe(true);
    // B signs with the new key once its view is older than the refresh interval.
    vi.useFakeTimers({ now: Date.now() + 11_000 });
    expect(b.sign('y').keyId).toBe(rotated);
  });

  it('a half-written or foreign file in the key folder is skipped, not fatal', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vitale-signing-'));
    dirs.push(dir);
    const a = service(dir);
    writeFileSync(
      path.join(dir, 'keys', 'signing', 'deadbeefdeadbeef.key'),
      '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2Vw',
    );
    expect(a.publicKeys()).toHaveLength(1);
    expect(a.verify('z', a.sign('z'))).toBe(true);
  });
});
