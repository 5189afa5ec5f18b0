import { Decrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import ssh2 from 'ssh2';
import { generateSshKeyPair } from '../platform/sftp/ssh-key-pair.js';
import { projectRoot } from '../platform/files/project-root.js';
import { ImageProcessor } from '../photo/image-processor.js';
import { nirKey } from '../register/nir.js';
import { portrait } from '../synthetic/portrait.js';
import { generateCardKeys } from '../update/card-crypto.js';
import { readVirtualCards, saveVirtualCards, type VirtualCard } from './virtual-cards.js';
import { Api, check, ok, say, startApp, step, until } from './demo-support.js';
import { UpdateErrors } from '../update/update.errors.js';

/**
 * `npm run demo`: starts the product on its embedded defaults (a throw-away data folder; the ports PORT, SFTP_PORT
 * and EMBEDDED_PG_PORT name, else free ones), then
 * plays an insurance fund, the photo digitisation centre and a card vendor over the real REST API and a real SFTP
 * client, carrying a handful of cards through the six steps (with a lost-card replacement and a photo rejected
 * then replaced). Prints each step; exits 0 only when every card ended where it should.
 *
 * The simulated vendor does what a real one does with perso/2: it has its own age key pair (the operator registers
 * the public half), checks each file's signature, decrypts it, makes the cards — each chip generating its two key
 * pairs — and reports their public keys in a ret/2 return file. Being a simulation it also keeps the chips' private
 * keys, in the virtual-cards file (`--virtual-cards FILE`, mode 0600; default: inside the throw-away data folder) that
 * the kiosk simulator plays the cards from. At the end a pharmacy kiosk (the simulator, `npm run kiosk`) updates
 * one card with kiosk/2 from that file, and a kiosk without the card is refused.
 */
const { Client } = ssh2;
function nir(sex: 1 | 2, yy: string, mm: string, dept: string, commune: string, order: string): string {
  const body = `${sex}${yy}${mm}${dept}${commune}${order}`;
  return body + nirKey(body);
}

function photoJpeg(size: [number, number], seed: number): Promise<Buffer> {
  return new ImageProcessor().jpegFromRgb(portrait(size[0], size[1], { seed }));
}

function sftpSession(
  port: number,
  username: string,
  privateKey: string,
): Promise<{ sftp: ssh2.SFTPWrapper; end: () => void }> {
  return new Promise((resolve, reject) => {
    const conn = new Client();
    conn.on('ready', () => conn.sftp((err, sftp) => (err ? reject(err) : resolve({ sftp, end: () => conn.end() }))));
    conn.on('error', reject);
    conn.connect({ host: '127.0.0.1', port, username, privateKey, readyTimeout: 20_000 });
  });
}
const sftpList = (s: ssh2.SFTPWrapper, dir: string) =>
  new Promise<string[]>((res, rej) =>
    s.readdir(dir, (e, list) => (e ? rej(e) : res(list.map((f) => f.filename).sort()))),
  );
const sftpRead = (s: ssh2.SFTPWrapper, file: string) =>
  new Promise<Buffer>((res, rej) => {
    const chunks: Buffer[] = [];
    s.createReadStream(file)
      .on('data', (c: Buffer) => chunks.push(c))
      .on('end', () => res(Buffer.concat(chunks)))
      .on('error', rej);
  });
const sftpWrite = (s: ssh2.SFTPWrapper, file: string, data: Buffer) =>
  new Promise<void>((res, rej) => s.writeFile(file, data, (e) => (e ? rej(e) : res())));
const sftpRename = (s: ssh2.SFTPWrapper, from: string, to: string) =>
  new Promise<void>((res, rej) => s.rename(from, to, (e) => (e ? rej(e) : res())));

/** Runs the kiosk simulator (`npm run kiosk`, built) against the app; its JSON lines are printed and returned. */
function runKiosk(
  base: string,
  key: string,
  args: string[],
): Promise<{ code: number | null; output: string; lines: Array<Record<string, any>> }> {
  const kiosk = path.join(projectRoot(), 'dist', 'src', 'cli', 'kiosk.js');
  const child = spawn(process.execPath, [kiosk, '--url', base, ...args], {
    env: { ...process.env, KIOSK_API_KEY: key },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const lines = output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, any>);
      for (const l of lines) say(`      kiosk> ${JSON.stringify(l).slice(0, 160)}`);
      resolve({ code, output, lines });
    });
  });
}

async function main(): Promise<number> {
  const { values: args } = parseArgs({ options: { 'virtual-cards': { type: 'string' } }, strict: true });
  step(
    '0',
    'Starting the product on its embedded defaults (fresh data folder; PORT, SFTP_PORT, EMBEDDED_PG_PORT if set, else free ports)',
  );
  const app = await startApp();
  ok(`API on ${app.base}, SFTP on port ${app.sftpPort}, embedded PostgreSQL on port ${app.pgPort}`);
  const virtualCardsFile = path.resolve(args['virtual-cards'] ?? path.join(app.dataDir, 'virtual-cards.json'));
  try {
    const api = new Api(app.base);
    const op = readFileSync(path.join(app.dataDir, 'bootstrap-operator.key'), 'utf8').trim();

    step('0', 'Operator registers the partners');
    const partner = async (kind: string, name: string, organismeCode?: string) => {
      const p = await api.ok(op, 'POST', '/v1/partners', { kind, name, organismeCode });
      const k = await api.ok(op, 'POST', `/v1/partners/${p.id}/api-keys`, { label: 'demo' });
      return { id: p.id as string, key: k.key as string };
    };
    const fund = await partner('fund', 'CPAM de Paris', '017510001');
    const centre = await partner('digitisation_centre', 'Centre photo');
    const vendor = await partner('personalisation_vendor', 'Imprimerie Nord');
    const vendorKeys = generateSshKeyPair('demo-vendor');
    // The vendor's age key pair (what `age-keygen` makes); it sends the operator the public half, the recipient.
    const vendorAgeIdentity = await generateX25519Identity();
    const vendorAgeRecipient = await identityToRecipient(vendorAgeIdentity);
    await api.ok(op, 'POST', '/v1/vendors', {
      partnerId: vendor.id,
      login: 'imprimerie_nord',
      isDefault: true,
      regimeCodes: ['01'],
    });
    await api.ok(op, 'POST', `/v1/vendors/${vendor.id}/ssh-keys`, { publicKey: vendorKeys.public });
    await api.ok(op, 'PUT', `/v1/vendors/${vendor.id}/age-recipient`, { recipient: vendorAgeRecipient });
    ok(
      `fund 017510001, digitisation centre, vendor imprimerie_nord (SSH key and age recipient ${vendorAgeRecipient.slice(0, 12)}… registered)`,
    );

    step('0', 'Fund registers four insured persons');
    const people = [
      {
        nir: nir(2, '85', '05', '75', '111', '001'),
        firstName: 'MARIE-CLAIRE',
        birthName: "D'ARTAGNAN",
        birthDate: '1985-05-14',
        addressLines: ['MME MARIE-CLAIRE DARTAGNAN', '12 RUE DES LILAS', '75011 PARIS'],
      },
      {
        nir: nir(1, '90', '11', '2A', '004', '017'),
        firstName: 'JEAN-BAPTISTE',
        birthName: 'CASANOVA',
        birthDate: '1990-11-02',
        addressLines: ['M JEAN-BAPTISTE CASANOVA', '4 COURS NAPOLEON', '75015 PARIS'],
      },
      {
        nir: nir(2, '02', '03', '69', '123', '045'),
        firstName: 'ÉLODIE',
        birthName: 'LEFÈVRE',
        birthDate: '2002-03-21',
        addressLines: ['MME ELODIE LEFEVRE', '8 AVENUE JEAN JAURES', '75019 PARIS'],
      },
      {
        nir: nir(1, '75', '07', '13', '055', '101'),
        firstName: 'KARIM',
        birthName: 'BENSAÏD',
        birthDate: '1975-07-30',
        addressLines: ['M KARIM BENSAID', '27 BOULEVARD VOLTAIRE', '75011 PARIS'],
      },
    ];
    const ids: string[] = [];
    for (const p of people) ids.push((await api.ok(fund.key, 'POST', '/v1/beneficiaries', p)).id);
    ok(`${ids.length} beneficiaries in the register`);

    const requestStatus = async (id: string) =>
      (await api.ok(fund.key, 'GET', `/v1/card-requests/${id}`)).status as string;
    const sendPhoto = async (formNumber: string, jpeg: Buffer) => {
      const form = new FormData();
      form.append('formNumber', formNumber);
      form.append('file', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), 'scan.jpg');
      return api.ok(centre.key, 'POST', '/v1/photos', form);
    };

    step('1', 'Fund opens a card request per person and gets the pre-filled forms');
    const requests: Array<{ id: string; formNumber: string }> = [];
    for (const [i, id] of ids.entries()) {
      const r = await api.ok(fund.key, 'POST', '/v1/card-requests', {
        beneficiaryId: id,
        reason: 'first_card',
        autoOrder: i % 2 === 0,
      });
      requests.push({ id: r.id, formNumber: r.formNumber });
      const pdf = await fetch(`${app.base}/v1/card-requests/${r.id}/form.pdf`, {
        headers: { authorization: `Bearer ${fund.key}` },
      });
      const bytes = Buffer.from(await pdf.arrayBuffer());
      check(
        pdf.status === 200 && bytes.subarray(0, 4).toString() === '%PDF',
        `form ${r.formNumber} (${r.status}) served as a ${bytes.length}-byte PDF`,
      );
    }

    step('2-3', 'Digitisation centre sends the scanned photos (one is too small and is refused)');
    await sendPhoto(requests[1].formNumber, await photoJpeg([300, 400], 2));
    const rejected = await until('the small photo verdict', async () => {
      const r = await api.ok(fund.key, 'GET', `/v1/card-requests/${requests[1].id}`);
      return r.status === 'photo_rejected' ? r : null;
    });
    check(
      JSON.stringify(rejected).includes('PHOTO_TOO_SMALL'),
      `form ${requests[1].formNumber}: photo refused with PHOTO_TOO_SMALL; the fund is told`,
    );
    for (const [i, r] of requests.entries()) await sendPhoto(r.formNumber, await photoJpeg([600, 800], 10 + i));
    for (const r of requests) {
      await until(`photo of ${r.formNumber}`, async () =>
        ['photo_available', 'ordered'].includes(await requestStatus(r.id)),
      );
    }
    ok('every photo accepted (normalised to a print image and a chip image)');

    step('4', 'Cards ordered: automatically for two requests, by the fund for the other two');
    for (const [i, r] of requests.entries())
      if (i % 2 === 1) await api.ok(fund.key, 'POST', `/v1/card-requests/${r.id}/order`);
    for (const r of requests)
      await until(`order of ${r.formNumber}`, async () => (await requestStatus(r.id)) === 'ordered');
    ok('four cards ordered');

    const vendorSession = await sftpSession(app.sftpPort, 'imprimerie_nord', vendorKeys.private);
    const keys: Array<{ keyId: string; publicKey: string }> = (await api.ok(vendor.key, 'GET', '/v1/signing-keys'))
      .items;
    let returnSeq = 0;
    const decrypter = new Decrypter();
    decrypter.addIdentity(vendorAgeIdentity);
    const personaliseAndShip = async (expected: number): Promise<string[]> => {
      step(
        '5',
        'Personalisation: the batch job allocates serials and writes the signed file, encrypted to the vendor, to its outbox',
      );
      const before = new Set(await sftpList(vendorSession.sftp, '/outbox'));
      await api.ok(op, 'POST', '/v1/personalisation/batches/run');
      const file = await until('a personalisation file', async () => {
        const names = (await sftpList(vendorSession.sftp, '/outbox')).filter(
          (n) => /^PERSO_\d+\.txt\.age$/.test(n) && !before.has(n),
        );
        return names.length ? names[0] : null;
      });
      const encrypted = await sftpRead(vendorSession.sftp, `/outbox/${file}`);
      const sig = JSON.parse(
        (await until('its signature', async () =>
          (await sftpList(vendorSession.sftp, '/outbox')).includes(`${file}.sig`),
        ),
        await sftpRead(vendorSession.sftp, `/outbox/${file}.sig`)).toString(),
      );
      const key = keys.find((k) => k.keyId === sig.keyId);
      // The signature covers the encrypted bytes: checked before anything is decrypted.
      check(
        key && verify(null, encrypted, createPublicKey(key.publicKey), Buffer.from(sig.signature, 'base64')),
        `${file}: Ed25519 signature verifies with key ${sig.keyId}`,
      );
      const content = Buffer.from(await decrypter.decrypt(new Uint8Array(encrypted)));
      check(
        createHash('sha256').update(content).digest('hex') === sig.plaintextSha256,
        `${file}: decrypted with the vendor's age key into ${sig.plaintextFile}, SHA-256 as the signature states`,
      );
      const text = content.toString('utf8');
      const trailerAt = text.lastIndexOf('\nT|') + 1;
      const [, count, sha] = text.slice(trailerAt).trim().split('|');
      check(
        text.startsWith('H|perso|2|') &&
          createHash('sha256')
            .update(content.subarray(0, Buffer.byteLength(text.slice(0, trailerAt))))
            .digest('hex') === sha,
        `${sig.plaintextFile}: perso/2, trailer SHA-256 matches`,
      );
      const serials = text
        .split('\n')
        .filter((l) => l.startsWith('R|'))
        .map((l) => l.split('|')[1]);
      check(
        serials.length === expected && Number(count) === expected,
        `${sig.plaintextFile}: ${expected} card(s), serials ${serials.join(', ')}`,
      );

      step(
        '6',
        'Vendor personalises (each chip generates its two key pairs), mails the cards and drops its ret/2 return file over SFTP',
      );
      const now = new Date().toISOString();
      const made: VirtualCard[] = serials.map((s, i) => ({
        serial: s,
        chipId: `CHIP${s.slice(-6)}${i}`,
        keys: generateCardKeys(),
      }));
      const lines = [
        `H|ret|2|imprimerie_nord|${now}`,
        ...made.map((c) => `D|${c.serial}|${c.chipId}|${now}|${now}|SHIPPED||${c.keys.authPublic}|${c.keys.encPublic}`),
        `T|${made.length}`,
      ];
      const name = `RET_DEMO_${++returnSeq}.txt`;
      await sftpWrite(vendorSession.sftp, `/inbox/${name}.part`, Buffer.from(lines.join('\n') + '\n'));
      await sftpRename(vendorSession.sftp, `/inbox/${name}.part`, `/inbox/${name}`);
      ok(`${name} (ret/2, the chips' public keys) uploaded as .part, then renamed`);
      // A simulation keeps what a real chip never gives out: its private keys, for the kiosk simulator.
      saveVirtualCards(virtualCardsFile, made);
      ok(`${made.length} virtual card(s) with their chip keys kept in ${virtualCardsFile} (mode 0600)`);
      return serials;
    };

    const firstSerials = await personaliseAndShip(4);
    for (const r of requests)
      await until(`card of ${r.formNumber} active`, async () => (await requestStatus(r.id)) === 'completed');
    const cards = await api.ok(fund.key, 'GET', `/v1/cards?beneficiaryId=${ids[0]}`);
    const firstCard = cards.items.find((c: { state: string }) => c.state === 'active');
    check(
      firstCard && firstSerials.includes(firstCard.serial),
      `every request completed; ${people[0].firstName}'s card ${firstCard?.serial} is active`,
    );

    step('1', `${people[0].firstName} declares the card lost: the fund opens a replacement request`);
    const lost = await api.ok(fund.key, 'POST', '/v1/card-requests', {
      beneficiaryId: ids[0],
      reason: 'lost',
      autoOrder: true,
    });
    ok(`request ${lost.formNumber}, replacing card ${firstCard.serial}`);
    step('2-3', 'A new photo arrives (online through the one-time link this time)');
    const form = new FormData();
    form.append(
      'file',
      new Blob([new Uint8Array(await photoJpeg([600, 800], 99))], { type: 'image/jpeg' }),
      'selfie.jpg',
    );
    const upload = await fetch(app.base + lost.photoUploadLink, { method: 'POST', body: form });
    check(upload.status === 202, 'photo uploaded by the insured through the link');
    const again = await fetch(app.base + lost.photoUploadLink, { method: 'POST', body: form });
    check(again.status === 404, 'the link works once only');
    step('4', 'Auto order: the lost card goes into opposition in the same transaction');
    await until('the replacement order', async () => (await requestStatus(lost.id)) === 'ordered');
    const old = await api.ok(fund.key, 'GET', `/v1/cards/${firstCard.serial}`);
    check(old.state === 'opposed' && old.oppositionReason === 'lost', `card ${firstCard.serial} is opposed (lost)`);
    const [newSerial] = await personaliseAndShip(1);
    await until('the replacement card', async () => (await requestStatus(lost.id)) === 'completed');
    const replacement = await api.ok(fund.key, 'GET', `/v1/cards/${newSerial}`);
    check(replacement.state === 'active', `replacement card ${newSerial} is active`);
    const status = await api.ok(op, 'GET', `/v1/card-status/${firstCard.serial}`);
    check(status.blocked === true, 'pharmacies see the lost card as blocked');
    const keyless = await api.ok(fund.key, 'GET', '/v1/cards/without-key/count');
    check(keyless.count === 0, 'every card in use has its chip keys: the fund has no card without a key to replace');

    step(
      '7',
      'A pharmacy kiosk updates a card with kiosk/2: the card proves it is in the reader, and only it can read its records',
    );
    const kiosk = await partner('kiosk', 'Pharmacie du Marché');
    const coverage = [
      { aldDigit: 0, situation: '0100' },
      { aldDigit: 4, situation: '0300' },
    ];
    await api.ok(fund.key, 'PUT', `/v1/cards/${newSerial}/data/coverage`, { content: coverage });
    ok(`the fund changed ${people[0].firstName}'s rights: a coverage record waits for card ${newSerial}`);
    // The kiosk simulator plays the card from the virtual-cards file the vendor wrote (its chip's private keys).
    const played = await runKiosk(app.base, kiosk.key, [
      '--serial',
      newSerial,
      '--cards-file',
      virtualCardsFile,
      '--read-version',
      '2',
      '--ms-per-record',
      '50',
    ]);
    const [checked, fetched] = played.lines;
    const writes = played.lines.filter((l) => l.step === 'write');
    const receipt = played.lines.at(-1);
    check(
      played.code === 0 &&
        checked?.protocol === 'kiosk/2' &&
        checked.action === 'update_available' &&
        checked.records === undefined,
      'check: an update is available, answered with a challenge only (no record, no NIR, no name)',
    );
    check(
      fetched?.step === 'fetch' && fetched.records?.includes('coverage@3'),
      `fetch with the card's signed proof: ${fetched?.records?.join(', ')} sealed to the card`,
    );
    check(
      writes.length > 0 && writes.every((w) => w.opened === true),
      'the card opened each envelope with its own key; the kiosk only relayed them',
    );
    check(
      receipt?.step === 'receipt' &&
        receipt.verified === true &&
        receipt.result === 'updated' &&
        receipt.cardPresenceProven === true,
      `confirm with the card's signed acknowledgement: version ${receipt?.version}, receipt ${receipt?.format} verified, card presence proven`,
    );
    const updated = await api.ok(fund.key, 'GET', `/v1/cards/${newSerial}`);
    check(updated.dataVersion === 3, `the fund sees card ${newSerial} at data version 3`);

    step('7', 'A kiosk without the card in its reader asks for another card: refused, nothing disclosed');
    const other = firstSerials.find((s) => s !== firstCard.serial)!;
    await api.ok(fund.key, 'PUT', `/v1/cards/${other}/data/coverage`, { content: coverage });
    const blind = await runKiosk(app.base, kiosk.key, ['--serial', other, '--without-card', '--read-version', '2']);
    const refused = blind.lines.find((l) => l.step === 'fetch without the card');
    check(
      blind.code === 0 && refused?.code === UpdateErrors.KIOSK_PROOF_INVALID.code && refused.disclosed === false,
      `card ${other}: the check works, the fetch without the card's proof is refused (${refused?.code}), no record disclosed`,
    );
    check(
      !people.some((p) => blind.output.includes(p.nir) || blind.output.includes(p.birthName)),
      'no NIR and no name in anything the kiosk shows',
    );

    step('8', `A birth: ${people[2].firstName} and ${people[1].firstName}'s daughter reaches both parents' cards`);
    const today = new Date().toISOString().slice(0, 10);
    const parentCards: string[] = [];
    for (const i of [2, 1]) {
      const held = await api.ok(fund.key, 'GET', `/v1/cards?beneficiaryId=${ids[i]}`);
      parentCards.push(held.items.find((c: { state: string }) => c.state === 'active').serial);
    }
    const baby = {
      nir: nir(2, today.slice(2, 4), today.slice(5, 7), '75', '112', '201'),
      firstName: 'LÉA',
      birthName: 'CASANOVA',
      birthDate: today,
      addressLines: ['MME ELODIE LEFEVRE', '8 AVENUE JEAN JAURES', '75019 PARIS'],
    };
    // The fund declares the birth with both parents' NIRs (in the body): the database attaches her to each and
    // raises the target version of every card carrying her.
    const rights = [{ aldDigit: 0, situation: '0100' }];
    const born = await api.ok(fund.key, 'POST', '/v1/births', {
      child: baby,
      parents: [{ nir: people[2].nir }, { nir: people[1].nir }],
      coverage: rights,
      aldPeriods: [],
    });
    check(typeof born.id === 'string', `the birth is declared: dependant ${born.id}, attached to both parents`);
    for (const serial of parentCards) {
      const pending = await api.ok(fund.key, 'GET', `/v1/cards/${serial}/updates`);
      check(
        pending.pendingRecordTypes.includes('dependants'),
        `card ${serial}: a dependants record waits (version ${pending.confirmedVersion} → ${pending.targetVersion})`,
      );
    }
    const carried = async (serial: string) =>
      (readVirtualCards(virtualCardsFile).find((c) => c.serial === serial)?.chip?.records.dependants?.content ??
        []) as Array<{ identity: { firstName: string; nir: string | null } }>;
    const kioskUpdate = async (serial: string, readVersion: number) => {
      const run = await runKiosk(app.base, kiosk.key, [
        '--serial',
        serial,
        '--cards-file',
        virtualCardsFile,
        '--read-version',
        String(readVersion),
        '--ms-per-record',
        '50',
      ]);
      const done = run.lines.at(-1);
      check(
        run.code === 0 && done?.result === 'updated' && done.verified === true,
        `card ${serial}: one kiosk/2 update, the dependants record sealed to the card, receipt verified (version ${done?.version})`,
      );
      return done!.version as number;
    };
    const versions = new Map<string, number>();
    for (const serial of parentCards) {
      versions.set(
        serial,
        await kioskUpdate(serial, (await api.ok(fund.key, 'GET', `/v1/cards/${serial}`)).dataVersion),
      );
      const onChip = await carried(serial);
      check(
        onChip.length === 1 && onChip[0].identity.firstName === 'LÉA' && onChip[0].identity.nir === baby.nir,
        `the chip of card ${serial} now carries ${onChip.map((d) => d.identity.firstName).join(', ')}`,
      );
    }

    step('9', "A 16th birthday: the daily job opens THÉO's own card, and he leaves his parents' cards");
    const sixteenIn = new Date(Date.now() + 10 * 86_400_000);
    const teenBirth = `${sixteenIn.getUTCFullYear() - 16}-${sixteenIn.toISOString().slice(5, 10)}`;
    const teen = {
      nir: nir(1, teenBirth.slice(2, 4), teenBirth.slice(5, 7), '75', '112', '202'),
      firstName: 'THÉO',
      birthName: 'CASANOVA',
      birthDate: teenBirth,
      addressLines: ['M THEO CASANOVA', '8 AVENUE JEAN JAURES', '75019 PARIS'],
    };
    // Attached to his mother as a dependant by identity, then to his father by the id the fund now sees.
    const teenId = (
      await api.ok(fund.key, 'POST', `/v1/beneficiaries/${ids[2]}/dependants`, {
        dependant: teen,
        validFrom: teenBirth,
        coverage: rights,
        aldPeriods: [],
      })
    ).dependant.id as string;
    await api.ok(fund.key, 'POST', `/v1/beneficiaries/${ids[1]}/dependants`, {
      dependantId: teenId,
      validFrom: teenBirth,
      coverage: rights,
      aldPeriods: [],
    });
    ok(`THÉO, 16 on ${teenBirth.slice(5)}, is on both parents' cards too`);
    const run = await api.ok(op, 'POST', '/v1/card-requests/own-cards/run');
    const teenRequests = await api.ok(fund.key, 'GET', `/v1/card-requests?beneficiaryId=${teenId}`);
    const teenRequest = teenRequests.items[0];
    check(
      run.opened === 1 && teenRequests.items.length === 1 && teenRequest.origin === 'sixteenth_birthday',
      `the job (run now by the operator; daily at 02:05) opened request ${teenRequest?.formNumber}: the form goes to THÉO's address`,
    );
    const rerun = await api.ok(op, 'POST', '/v1/card-requests/own-cards/run');
    check(rerun.opened === 0, 'run again: nothing more (once per young person)');
    await sendPhoto(teenRequest.formNumber, await photoJpeg([600, 800], 160));
    await until('THÉO’s photo', async () => (await requestStatus(teenRequest.id)) === 'photo_available');
    await api.ok(fund.key, 'POST', `/v1/card-requests/${teenRequest.id}/order`);
    const [teenSerial] = await personaliseAndShip(1);
    await until('THÉO’s card', async () => (await requestStatus(teenRequest.id)) === 'completed');
    check(
      (await api.ok(fund.key, 'GET', `/v1/cards/${teenSerial}`)).state === 'active',
      `THÉO's own card ${teenSerial} is active: he is an insured in his own right, with his NIR`,
    );
    for (const serial of parentCards) {
      const pending = await api.ok(fund.key, 'GET', `/v1/cards/${serial}/updates`);
      check(pending.pendingRecordTypes.includes('dependants'), `card ${serial}: a pending update without THÉO`);
      await kioskUpdate(serial, versions.get(serial)!);
      const onChip = await carried(serial);
      check(onChip.map((d) => d.identity.firstName).join(',') === 'LÉA', `the chip of card ${serial} carries LÉA only`);
    }

    step('✓', 'Pipeline seen by the operators');
    const pipeline = await api.ok(op, 'GET', '/v1/pipeline');
    say(`    ${JSON.stringify(pipeline).slice(0, 300)}`);
    vendorSession.end();
    say(
      args['virtual-cards']
        ? `\nVirtual cards (chip keys, for the kiosk simulator): ${virtualCardsFile}`
        : '\nThe virtual cards go with the throw-away data folder; `npm run demo -- --virtual-cards FILE` keeps them.',
    );
    say('\nDemo complete: every card ended where it should.');
    return 0;
  } finally {
    app.child.kill('SIGTERM');
    await new Promise((r) => app.child.once('exit', r));
    rmSync(app.dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`\nDemo FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
