import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readVirtualCards } from '../src/cli/virtual-cards.js';
import { freePort } from '../src/platform/database/embedded-postgres.js';
import { cardSign, openRecord, proofMessage, sealRecords, verifyCardSignature } from '../src/update/card-crypto.js';
import { tempDir } from './support/temp-dirs.js';

/**
 * The whole chain end to end, as `npm run demo` plays it (perso/2 files decrypted by the simulated vendor, ret/2 return
 * files with each chip's public keys, the chips' private keys kept in a virtual-cards file): a freshly started program on its embedded defaults,
 * a fund, the digitisation centre and a vendor over the real REST API and a real SFTP client, cards carried
 * through the six steps (a photo refused then replaced, a lost card replaced), then a pharmacy kiosk updating a card
 * with kiosk/2 and a kiosk without the card refused. The demo exits 0 only when every card ended where it should.
 */
describe('the six-step emission chain, end to end', () => {
  it('runs the demo to a clean finish, on the ports the environment names', async () => {
    const demo = path.resolve('dist/src/cli/demo.js');
    expect(existsSync(demo), 'npm test builds dist/ first (pretest)').toBe(true);
    const [port, sftpPort, pgPort] = [await freePort(), await freePort(), await freePort()];
    const env = {
      ...process.env,
      DATABASE_URL: '',
      PORT: String(port),
      SFTP_PORT: String(sftpPort),
      EMBEDDED_PG_PORT: String(pgPort),
    };
    const cardsFile = path.join(tempDir('demo-cards'), 'virtual-cards.json');
    const res = spawnSync(process.execPath, [demo, '--virtual-cards', cardsFile], {
      encoding: 'utf8',
      timeout: 240_000,
      env,
    });
    // What the demo said on stderr, should it stop early (a port taken meanwhile, a start that failed).
    const why = `demo exited ${res.status ?? res.signal}; stderr ends: ${res.stderr.slice(-3000)}`;
    expect(res.stdout, why).toContain(
      `API on http://127.0.0.1:${port}, SFTP on port ${sftpPort}, embedded PostgreSQL on port ${pgPort}`,
    );
    expect(res.stderr).not.toContain('Demo FAILED');
    // perso/2 (encrypted to the vendor, signature over the encrypted bytes) and ret/2 (the chips' public keys).
    expect(res.stdout).toContain('PERSO_00000001.txt.age: Ed25519 signature verifies');
    expect(res.stdout).toContain("PERSO_00000001.txt.age: decrypted with the vendor's age key into PERSO_00000001.txt");
    expect(res.stdout).toContain('PERSO_00000001.txt: perso/2, trailer SHA-256 matches');
    expect(res.stdout).toContain("RET_DEMO_1.txt (ret/2, the chips' public keys) uploaded");
    expect(res.stdout).toContain('the fund has no card without a key to replace');
    expect(res.stdout).toContain('photo refused with PHOTO_TOO_SMALL');
    expect(res.stdout).toContain('is opposed (lost)');
    // The demo ends at a pharmacy kiosk on kiosk/2 (the simulator, playing the card from the virtual cards file).
    expect(res.stdout).toMatch(/kiosk> \{"step":"check","protocol":"kiosk\/2","action":"update_available"/);
    expect(res.stdout).toContain(
      "confirm with the card's signed acknowledgement: version 3, receipt vitale-update-receipt/3 verified, card presence proven",
    );
    expect(res.stdout).toContain(
      "the fetch without the card's proof is refused (KIOSK_PROOF_INVALID), no record disclosed",
    );
    // Families: a birth reaches both parents' cards through a kiosk; a 16th birthday produces a card of one's own.
    expect(res.stdout.match(/now carries LÉA\n/g)).toHaveLength(2);
    expect(res.stdout).toMatch(/the job \(run now by the operator; daily at 02:05\) opened request \d{8}/);
    expect(res.stdout).toContain('run again: nothing more (once per young person)');
    expect(res.stdout).toMatch(/THÉO's own card \d{12} is active/);
    expect(res.stdout.match(/carries LÉA only\n/g)).toHaveLength(2);
    expect(res.stdout).toContain('Demo complete: every card ended where it should.');
    expect(res.status).toBe(0);

    // The virtual cards: the six cards made (four, the replacement, THÉO's own), private to their owner, each chip's private
    // keys matching the public ones it reported.
    expect(statSync(cardsFile).mode & 0o777).toBe(0o600);
    const cards = readVirtualCards(cardsFile);
    expect(cards).toHaveLength(6);
    expect(new Set(cards.map((c) => c.serial)).size).toBe(6);
    // Both parents' virtual chips hold the family as the kiosk wrote it: LÉA, THÉO gone.
    const families = cards.filter((c) => c.chip?.records.dependants);
    expect(families).toHaveLength(2);
    for (const c of families)
      expect(
        (c.chip!.records.dependants.content as Array<{ identity: { firstName: string } }>).map(
          (d) => d.identity.firstName,
        ),
      ).toEqual(['LÉA']);
    for (const c of cards) {
      const proof = proofMessage({
        challenge: 'c',
        serial: c.serial,
        readVersion: 2,
        writeInProgress: false,
        kioskId: 'k',
      });
      expect(
        verifyCardSignature(
          Buffer.from(c.keys.authPublic, 'base64'),
          proof,
          Buffer.from(cardSign(c.keys, proof), 'base64'),
        ),
      ).toBe(true);
      const sealed = sealRecords(Buffer.from(c.keys.encPublic, 'base64'), { serial: c.serial, exchangeId: 'x' }, [
        { recordType: 'identity', version: 3, content: { ok: true } },
      ]);
      expect(
        openRecord(c.keys, { serial: c.serial, exchangeId: 'x', ephemeralKey: sealed.ephemeralKey }, sealed.records[0]),
      ).toEqual({ content: { ok: true } });
    }
  }, 300_000);
});
