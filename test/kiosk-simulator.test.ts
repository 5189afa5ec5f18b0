import { spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { generateCardKeys } from '../src/update/card-crypto.js';
import { cardIn } from './support/card-fixtures.js';
import { giveCardKeys } from './support/card-key-fixtures.js';
import { cardVersions, PARIS, putRecord, RECORDS } from './support/kiosk-fixtures.js';
import { tempDir } from './support/temp-dirs.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { staleReason } from '../scripts/run-built.mjs';

/** `npm run kiosk` speaks kiosk/1 and kiosk/2 for real against a listening app: pulled cards, full updates, a kiosk without the card. */
describe('the kiosk simulator', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The kiosk command as built, or as a user types it (`npm run kiosk -- …`); the key comes from the environment. */
  const run = (args: string[], env: Record<string, string> = {}, viaNpm = false) =>
    new Promise<{ code: number | null; lines: Array<Record<string, unknown>>; output: string }>((resolve) => {
      const [command, commandArgs] = viaNpm
        ? ['npm', ['run', 'kiosk', '--', ...args]]
        : [process.execPath, [path.resolve('dist/src/cli/kiosk.js'), ...args]];
      const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
      let out = '';
      let all = '';
      child.stdout.on('data', (d) => {
        out += d;
        all += d;
      });
      child.stderr.on('data', (d) => (all += d));
      child.on('exit', (code) =>
        resolve({
          code,
          output: all,
          lines: out
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l)),
        }),
      );
    });

  it('writes pending records, survives a pulled card, and verifies every receipt', async () => {
    expect(existsSync('dist/src/cli/kiosk.js'), 'npm test builds dist/ first').toBe(true);
    const fund = await t.partner(PartnerKind.Fund, PARIS);
    const kiosk = await t.partner(PartnerKind.Kiosk);
    const card = await cardIn(t.dataSource, CardState.Active, { organismeCode: PARIS });
    await putRecord(t, fund.key, card.serial12, 'coverage', RECORDS.coverage).expect(200);
    await putRecord(t, fund.key, card.serial12, 'maternity', RECORDS.maternity).expect(200);
    const common = ['--url', base, '--serial', card.serial12, '--ms-per-record', '10'];
    const env = { KIOSK_API_KEY: kiosk.key };

    const pulled = await run([...common, '--pull-after', '1'], env);
    expect(pulled.code).toBe(0);
    expect(pulled.lines.map((l) => l.step)).toEqual(['check', 'write', 'card pulled: abort', 'receipt']);
    // Issued at version 2 (identity, organisme), the fund's two records are versions 3 and 4.
    expect(pulled.lines[3]).toMatchObject({ verified: true, result: 'failed', version: 2 });
    expect(await cardVersions(t.dataSource, card.serial12)).toMatchObject({ data_version: 2, target_version: 4 });

    const full = await run([...common, '--write-in-progress'], env);
    expect(full.code).toBe(0);
    expect(full.lines[0]).toMatchObject({
      step: 'check',
      action: 'update',
      records: ['identity@1', 'organisme@2', 'coverage@3', 'maternity@4'],
    });
    expect(full.lines.at(-1)).toMatchObject({ step: 'receipt', verified: true, result: 'updated', version: 4 });
    expect(await cardVersions(t.dataSource, card.serial12)).toMatchObject({ data_version: 4, target_version: 4 });

    const keyFile = path.join(tempDir('kiosk-key'), 'kiosk.key');
    writeFileSync(keyFile, `${kiosk.key}\n`, { mode: 0o600 });
    const idle = await run([...common, '--read-version', '4', '--key-file', keyFile]);
    expect(idle.code).toBe(0);
    expect(idle.lines.map((l) => [l.step, l.action ?? l.result])).toEqual([
      ['check', 'nothing_to_do'],
      ['receipt', 'nothing_to_do'],
    ]);
  }, 60_000);

  it('never takes the key on the command line (npm echoes it), and `npm run kiosk` runs the built file without rebuilding', async () => {
    expect(staleReason(process.cwd(), 'src/cli/kiosk.ts'), 'npm test builds dist/ first').toBeNull();
    const kiosk = await t.partner(PartnerKind.Kiosk);
    const card = await cardIn(t.dataSource, CardState.Active, { organismeCode: PARIS });

    const refused = await run(['--url', base, '--key', kiosk.key, '--serial', card.serial12]);
    expect(refused.code).toBe(2);
    expect(refused.output).toContain('set KIOSK_API_KEY or pass --key-file');
    const missing = await run(['--url', base, '--serial', card.serial12], { KIOSK_API_KEY: '' });
    expect(missing.code).toBe(2);
    expect(missing.output).toContain('no API key');

    const builtAt = statSync('dist/src/cli/kiosk.js').mtimeMs;
    const viaNpm = await run(
      ['--url', base, '--serial', card.serial12, '--read-version', '2'],
      { KIOSK_API_KEY: kiosk.key },
      true,
    );
    expect(viaNpm.code, viaNpm.output).toBe(0);
    expect(viaNpm.lines.map((l) => [l.step, l.action ?? l.result])).toEqual([
      ['check', 'nothing_to_do'],
      ['receipt', 'nothing_to_do'],
    ]);
    expect(viaNpm.output).not.toContain('building first');
    expect(viaNpm.output).not.toContain(kiosk.key);
    expect(viaNpm.output).not.toContain(kiosk.key.slice(-12));
    expect(statSync('dist/src/cli/kiosk.js').mtimeMs, 'dist/ was not rebuilt').toBe(builtAt);
  }, 60_000);

  it('speaks kiosk/2 with a virtual card: the card signs, opens the sealed records and acknowledges them', async () => {
    const fund = await t.partner(PartnerKind.Fund, PARIS);
    const kiosk = await t.partner(PartnerKind.Kiosk);
    const card = await cardIn(t.dataSource, CardState.Active, { organismeCode: PARIS });
    const keys = await giveCardKeys(t.dataSource, card.id);
    const bystander = await cardIn(t.dataSource, CardState.Active, { organismeCode: PARIS });
    await putRecord(t, fund.key, card.serial12, 'coverage', RECORDS.coverage).expect(200);
    await putRecord(t, fund.key, card.serial12, 'maternity', RECORDS.maternity).expect(200);
    await putRecord(t, fund.key, bystander.serial12, 'coverage', RECORDS.coverage).expect(200);
    // The demo's simulated vendor writes this file (docs/formats/kiosk-protocol-2.md); another card beside it.
    const cardsFile = path.join(tempDir('virtual-cards'), 'cards.json');
    writeFileSync(
      cardsFile,
      JSON.stringify({
        format: 'vitale-virtual-cards/1',
        cards: [
          { serial: '100000000001', chipId: 'CHIPOTHER', keys: generateCardKeys() },
          { serial: card.serial12, chipId: 'CHIP-1', keys },
        ],
      }),
      { mode: 0o600 },
    );
    const common = ['--url', base, '--serial', card.serial12, '--ms-per-record', '10', '--cards-file', cardsFile];
    const env = { KIOSK_API_KEY: kiosk.key };

    const pulled = await run([...common, '--read-version', '2', '--pull-after', '1'], env);
    expect(pulled.code, pulled.output).toBe(0);
    expect(pulled.lines.map((l) => l.step)).toEqual(['check', 'fetch', 'write', 'card pulled: abort', 'receipt']);
    expect(pulled.lines[0]).toMatchObject({ protocol: 'kiosk/2', action: 'update_available' });
    expect(pulled.lines[2]).toMatchObject({ record: 'coverage@3', opened: true });
    expect(pulled.lines[4]).toMatchObject({
      verified: true,
      format: 'vitale-update-receipt/3',
      result: 'failed',
      version: 2,
      cardPresenceProven: true,
    });

    const full = await run([...common, '--write-in-progress'], env);
    expect(full.code, full.output).toBe(0);
    expect(full.lines[1]).toMatchObject({
      step: 'fetch',
      action: 'update',
      records: ['identity@1', 'organisme@2', 'coverage@3', 'maternity@4'],
    });
    expect(full.lines.filter((l) => l.step === 'write').every((l) => l.opened === true)).toBe(true);
    expect(full.lines.at(-1)).toMatchObject({
      step: 'receipt',
      verified: true,
      result: 'updated',
      version: 4,
      cardPresenceProven: true,
    });
    expect(await cardVersions(t.dataSource, card.serial12)).toMatchObject({ data_version: 4, target_version: 4 });

    // Without --cards-file the kiosk falls back to kiosk/1, which refuses a card with keys.
    const v1 = await run(['--url', base, '--serial', card.serial12], env);
    expect(v1.code).toBe(1);
    expect(v1.output).toContain('pass --cards-file');
    // A file that is not a valid virtual cards file is refused whole, naming the card at fault.
    const broken = path.join(tempDir('virtual-cards'), 'broken.json');
    writeFileSync(
      broken,
      JSON.stringify({
        format: 'vitale-virtual-cards/1',
        cards: [
          {
            serial: card.serial12,
            chipId: 'C1',
            keys: { authPrivate: 'AA==', authPublic: 'AA==', encPrivate: 'AA==', encPublic: 'AA==' },
          },
        ],
      }),
      { mode: 0o600 },
    );
    const refusedFile = await run(['--url', base, '--serial', card.serial12, '--cards-file', broken], env);
    expect(refusedFile.code).not.toBe(0);
    expect(refusedFile.output).toContain('card 1 is not');
    // A card that is not in the file has no keys: kiosk/1, as before.
    const keyless = await run(
      ['--url', base, '--serial', bystander.serial12, '--ms-per-record', '10', '--cards-file', cardsFile],
      env,
    );
    expect(keyless.code, keyless.output).toBe(0);
    expect(keyless.lines[0]).toMatchObject({ step: 'check', protocol: 'kiosk/1', action: 'update' });
  }, 60_000);

  it("--without-card: the check works, the fetch without the card's proof is refused, and nothing is disclosed", async () => {
    const fund = await t.partner(PartnerKind.Fund, PARIS);
    const kiosk = await t.partner(PartnerKind.Kiosk);
    const card = await cardIn(t.dataSource, CardState.Active, { organismeCode: PARIS });
    await giveCardKeys(t.dataSource, card.id);
    await putRecord(t, fund.key, card.serial12, 'coverage', RECORDS.coverage).expect(200);
    const res = await run(['--url', base, '--serial', card.serial12, '--without-card', '--write-in-progress'], {
      KIOSK_API_KEY: kiosk.key,
    });
    expect(res.code, res.output).toBe(0);
    expect(res.lines).toEqual([
      expect.objectContaining({ step: 'check', protocol: 'kiosk/2', action: 'update_available' }),
      { step: 'fetch without the card', status: 403, code: 'KIOSK_PROOF_INVALID', refused: true, disclosed: false },
    ]);
    const [holder] = await t.dataSource.query(
      `SELECT b.nir, b.first_name, b.birth_name FROM beneficiary b JOIN card c ON c.beneficiary_id = b.id WHERE c.id = $1`,
      [card.id],
    );
    for (const secret of [holder.nir, holder.first_name, holder.birth_name, '0300'])
      expect(res.output).not.toContain(secret);
    expect(await t.dataSource.query(`SELECT 1 FROM kiosk_exchange WHERE card_id = $1`, [card.id])).toEqual([]);
    expect(await cardVersions(t.dataSource, card.serial12)).toMatchObject({ data_version: 2, target_version: 3 });
  }, 60_000);
});
