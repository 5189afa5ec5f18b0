import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staleReason } from '../scripts/run-built.mjs';
import { waitFor } from './support/request-fixtures.js';
import { tempDir } from './support/temp-dirs.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';
import { sftpConnect, sftpPort } from './support/vendor-fixtures.js';

/**
 * docs/partners.md as a new operator follows it: every `sh` block, in order, in bash with curl, jq, ssh-keygen,
 * age-keygen and `npm run portrait`, against a listening instance. Then what the blocks should have set up is checked from the
 * outside: the partners and their keys, the vendor's and the concentrator's SFTP log-ins with the keys the blocks
 * made, and the card request moved on by the portrait the centre sent.
 */
describe('docs/partners.md, run as written', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startTestApp({ dataDir: tempDir('partners-doc'), sftpPort: 0, seedReferenceData: true });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await t?.close();
  });

  const bash = (script: string, cwd: string, env: Record<string, string>) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('bash', ['-c', script], {
        cwd,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('exit', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  const shBlocks = (markdown: string) => [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

  it('sets up every kind of partner, and each one works', async () => {
    for (const tool of ['curl', 'jq', 'ssh-keygen', 'age-keygen']) {
      expect(spawnSync('sh', ['-c', `command -v ${tool}`]).status, `${tool} is needed (.ci/run installs it)`).toBe(0);
    }
    expect(staleReason(process.cwd(), 'src/cli/portrait.ts'), 'npm test builds dist/ first').toBeNull();
    const blocks = shBlocks(readFileSync('docs/partners.md', 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    const work = tempDir('partners-doc-work');
    // The reader types the commands in the project folder; here they run in a scratch folder, npm pointed at the project.
    const script = [
      'set -euo pipefail',
      `npm() { command npm --prefix ${JSON.stringify(process.cwd())} "$@"; }`,
      ...blocks,
      'declare -p FUND_KEY CENTRE_KEY REQUEST VENDOR PHARMA_KEY CONCENTRATOR_LOGIN KIOSK_API_KEY OPERATOR_KEY | sed "s/^declare -- //"',
    ].join('\n');
    // Asynchronous: the app answering curl runs in this very process.
    const res = await bash(script, work, { BASE: base, KEY: t.operatorKey });
    expect(res.status, `${res.stdout}\n${res.stderr}`).toBe(0);
    const vars = Object.fromEntries([...res.stdout.matchAll(/^([A-Z_]+)="(.*)"$/gm)].map((m) => [m[1], m[2]]));

    // Each API key is a key of the right kind.
    for (const [name, kind] of [
      ['FUND_KEY', 'fund'],
      ['CENTRE_KEY', 'digitisation_centre'],
      ['PHARMA_KEY', 'pharmacy_software'],
      ['KIOSK_API_KEY', 'kiosk'],
      ['OPERATOR_KEY', 'operator'],
    ]) {
      expect((await t.http().get('/v1/me').set(bearer(vars[name])).expect(200)).body.kind, name).toBe(kind);
    }
    // The photo the centre sent was accepted: the request moved on.
    await waitFor(
      async () =>
        (await t.http().get(`/v1/card-requests/${vars.REQUEST}`).set(bearer(vars.FUND_KEY))).body.status ===
        'photo_available',
    );

    // The vendor logs in with the key the block made, and finds its two folders.
    const vendor = await sftpConnect(
      sftpPort(t),
      'imprimerie_nord',
      readFileSync(path.join(work, 'vendor_key'), 'utf8'),
    );
    try {
      expect((await vendor.list('/')).sort()).toEqual(['inbox', 'outbox']);
    } finally {
      vendor.conn.end();
    }
    const fingerprint = spawnSync('ssh-keygen', ['-lf', path.join(work, 'vendor_key.pub')], {
      encoding: 'utf8',
    }).stdout.split(' ')[1];
    const vendors = await t.http().get('/v1/vendors').set(bearer(t.operatorKey)).expect(200);
    expect(JSON.stringify(vendors.body)).toContain(fingerprint);
    // Its files will be encrypted to the age key the block made.
    const recipient = spawnSync('age-keygen', ['-y', path.join(work, 'vendor_age.txt')], {
      encoding: 'utf8',
    }).stdout.trim();
    expect(recipient).toMatch(/^age1/);
    expect(vendors.body.items.find((v: { login: string }) => v.login === 'imprimerie_nord')).toMatchObject({
      ageRecipient: recipient,
    });

    // So does the concentrator, read-only, in /lists.
    const concentrator = await sftpConnect(
      sftpPort(t),
      vars.CONCENTRATOR_LOGIN,
      readFileSync(path.join(work, 'concentrator_key'), 'utf8'),
    );
    try {
      expect(await concentrator.list('/')).toEqual(['lists']);
    } finally {
      concentrator.conn.end();
    }
  }, 180_000);
});
