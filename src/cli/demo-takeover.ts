import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../platform/files/project-root.js';
import { Api, check, DemoFailure, ok, say, startApp, step, stopApp, until } from './demo-support.js';

/**
 * `npm run demo:takeover`: starts the product on its embedded defaults (a throw-away data folder, free ports unless
 * PORT, SFTP_PORT, EMBEDDED_PG_PORT name them), then takes over a card base as an operator would
 * (docs/card-base-takeover.md): a synthetic register and the old system's card base for it (`npm run seed:synthetic --
 * --card-base`), the import over the operator API (sent twice: the second sending changes nothing), a reconciliation
 * dry run (counts per class and regime, the CSV report), the apply and its first wave (capped by
 * RECONCILE_DAILY_LIMIT), then a renewal campaign of the cards without photo: dry run, definition, first wave and
 * funnel. Prints each step with the API call that shows it; exits 0 only when every step did what it should.
 */
const USAGE = `Usage: npm run demo:takeover -- [--people N] [--seed S] [--report FILE]

  --people N     people in the synthetic register (default 10000; the card base has about 0.9 card each: children have none)
  --seed S       seed of the synthetic register and card base (default 1)
  --report FILE  keep the reconciliation dry run's CSV report there (default: inside the throw-away data folder)`;

interface FindingCount {
  regimeCode: string;
  fundCode: string;
  organismeCode: string;
  class: string;
  cards: number;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const fmt = (n: number) => n.toLocaleString('en-US');

/** `npm run seed:synthetic` (built), joining the product's embedded PostgreSQL; its output is printed. */
function seedSynthetic(dataDir: string, pgPort: number, args: string[]): Promise<string> {
  const seed = path.join(projectRoot(), 'dist', 'src', 'cli', 'seed-synthetic.js');
  const child = spawn(process.execPath, [seed, ...args], {
    env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new DemoFailure(`seed:synthetic exited ${code}: ${err.slice(-2000)}`));
      else resolve(out);
    });
  });
}

/** Counts per class, and per regime and class, of a run's detail. */
function byClass(counts: FindingCount[]): { classes: Map<string, number>; regimes: Map<string, Map<string, number>> } {
  const classes = new Map<string, number>();
  const regimes = new Map<string, Map<string, number>>();
  for (const c of counts) {
    classes.set(c.class, (classes.get(c.class) ?? 0) + c.cards);
    const r = regimes.get(c.regimeCode) ?? new Map<string, number>();
    r.set(c.class, (r.get(c.class) ?? 0) + c.cards);
    regimes.set(c.regimeCode, r);
  }
  return { classes, regimes };
}

async function main(): Promise<number> {
  const { values: args } = parseArgs({
    options: {
      people: { type: 'string' },
      seed: { type: 'string' },
      report: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (args.help) {
    say(USAGE);
    return 0;
  }
  const people = Number(args.people ?? 10_000);
  const seed = Number(args.seed ?? 1);
  if (!Number.isSafeInteger(people) || people < 100 || people > 1_000_000)
    throw new DemoFailure(`--people must be a whole number from 100 to 1000000\n\n${USAGE}`);
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new DemoFailure(`--seed must be a whole number from 0 to 4294967295\n\n${USAGE}`);
  // About 2 % of people have a card reconciliation opposes (surplus, deceased): a cap of 1 % a day shows a wave
  // stopping at the day's limit and the rest left for the next day.
  const dailyLimit = Math.max(10, Math.round(people / 100));

  step(
    '0',
    'Starting the product on its embedded defaults (fresh data folder; PORT, SFTP_PORT, EMBEDDED_PG_PORT if set, else free ports)',
  );
  const app = await startApp({ RECONCILE_DAILY_LIMIT: String(dailyLimit) });
  ok(`API on ${app.base}, embedded PostgreSQL on port ${app.pgPort}; RECONCILE_DAILY_LIMIT=${dailyLimit} for the demo`);
  try {
    const api = new Api(app.base);
    const op = readFileSync(path.join(app.dataDir, 'bootstrap-operator.key'), 'utf8').trim();
    ok('operator key: the first start wrote it to DATA_DIR/bootstrap-operator.key (below: $KEY)');

    step('1', `A synthetic register of ${fmt(people)} people and the old system's card base for them`);
    const file = path.join(app.dataDir, 'card-base.csv.gz');
    const seeded = await seedSynthetic(app.dataDir, app.pgPort, [
      '--beneficiaries',
      String(people),
      '--seed',
      String(seed),
      '--card-base',
      file,
    ]);
    for (const line of seeded.trim().split('\n')) say(`      seed> ${line}`);
    const cardsInFile = Number(/card base: (\d+) cards/.exec(seeded)?.[1] ?? NaN);
    check(
      cardsInFile > 0,
      `npm run seed:synthetic -- --beneficiaries ${people} --seed ${seed} --card-base card-base.csv.gz: ${fmt(cardsInFile)} cards (card-base/1, gzip)`,
    );

    step('2', 'Import the card base: POST /v1/card-base/imports (Content-Type: application/gzip)');
    const body = new Blob([readFileSync(file)], { type: 'application/gzip' });
    const sent = await api.ok(op, 'POST', '/v1/card-base/imports', body);
    say(
      `    import ${sent.id}: status ${sent.status}, lines to ${fmt(sent.lastLine)}, ${fmt(sent.landedRows)} landed, ` +
        `${fmt(sent.rejectedRows)} rejected, ${sent.chunksCommitted} chunk(s) committed`,
    );
    check(
      sent.landedRows === cardsInFile && sent.rejectedRows === 0,
      `the whole file landed; the job card-base.materialise moves it into the card base (GET /v1/card-base/imports/${sent.id})`,
    );
    const imp = await until(
      `card-base import ${sent.id}`,
      async () => {
        const r = await api.ok(op, 'GET', `/v1/card-base/imports/${sent.id}`);
        return r.status === 'done' ? r : null;
      },
      300,
    );
    say(
      `    import ${imp.id}: status ${imp.status}, ${fmt(imp.importedRows)} imported, ${fmt(imp.unchangedRows)} unchanged, ` +
        `${fmt(imp.rejectedRows)} rejected`,
    );
    check(
      imp.importedRows === cardsInFile && imp.rejectedRows === 0,
      `every card of the file imported (holders the register does not know kept, flagged)`,
    );
    const again = await api.ok(op, 'POST', '/v1/card-base/imports', body);
    check(
      again.id === imp.id &&
        again.importedRows === imp.importedRows &&
        again.chunksCommitted === 0 &&
        again.chunksSkipped === sent.chunksCommitted &&
        again.sendings === 2,
      `the same file sent again changes nothing: the same import, ${again.chunksSkipped} chunk(s) found committed and skipped, sendings 2`,
    );
    say('    (on the server, the same: npm run cli -- card-base:import --file card-base.csv.gz)');

    const awaitRun = async (id: string) =>
      until(
        `reconciliation run ${id}`,
        async () => {
          const r = await api.ok(op, 'GET', `/v1/reconciliation/runs/${id}`);
          if (r.status === 'failed') throw new DemoFailure(`run ${id} failed: ${r.error}`);
          return r.status === 'done' ? r : null;
        },
        300,
      );

    step('3', 'Reconciliation dry run: POST /v1/reconciliation/runs {"mode":"dry_run"} (the job reconciliation.run)');
    const dry = await api.ok(op, 'POST', '/v1/reconciliation/runs', { mode: 'dry_run' });
    const dryDone = await awaitRun(dry.id);
    const { classes, regimes } = byClass(dryDone.counts as FindingCount[]);
    say(
      `    run ${dry.id}: ${fmt(dryDone.cardsClassified)} usable cards classified; GET /v1/reconciliation/runs/${dry.id}`,
    );
    say('    cards per class:');
    for (const [c, n] of [...classes].sort()) say(`      ${c.padEnd(16)} ${fmt(n).padStart(8)}`);
    say('    per regime:');
    for (const [r, m] of [...regimes].sort())
      say(
        `      regime ${r}: ${[...m]
          .sort()
          .map(([c, n]) => `${c} ${fmt(n)}`)
          .join(', ')}`,
      );
    for (const c of ['surplus', 'kept', 'left_organisme', 'holder_unknown', 'holder_deceased'])
      check((classes.get(c) ?? 0) > 0, `class ${c} found`);
    const report = await api.call(op, 'GET', `/v1/reconciliation/runs/${dry.id}/report.csv`);
    check(report.status === 200 && typeof report.body === 'string', 'the CSV report downloads');
    const reportFile = path.resolve(args.report ?? path.join(app.dataDir, 'reconciliation-report.csv'));
    writeFileSync(reportFile, report.body as string);
    const lines = (report.body as string).trim().split('\n');
    say(
      `    report: GET /v1/reconciliation/runs/${dry.id}/report.csv → ${reportFile} (${fmt(lines.length - 1)} lines` +
        `${args.report ? '' : '; goes with the throw-away data folder, --report FILE keeps it'})`,
    );
    for (const l of lines.slice(0, 4)) say(`      ${l}`);
    const surplusSerials = lines
      .slice(1)
      .map((l) => l.split(';'))
      .filter((f) => f[1] === 'surplus')
      .map((f) => f[0]);
    check(surplusSerials.length === classes.get('surplus'), 'one report line per surplus card, with the serial kept');
    const before = await api.ok(op, 'GET', `/v1/cards/${surplusSerials[0]}`);
    const counters0 = await api.ok(op, 'GET', '/v1/reconciliation/surplus');
    check(
      before.state === 'active' && sum(counters0.items.map((c: { invalidated: number }) => c.invalidated)) === 0,
      `the dry run changed nothing: surplus card ${surplusSerials[0]} is still active, none invalidated`,
    );

    step('4', 'Apply: POST /v1/reconciliation/runs {"mode":"apply"}, then the first wave (reconciliation.wave)');
    const apply = await api.ok(op, 'POST', '/v1/reconciliation/runs', { mode: 'apply' });
    const applied = await awaitRun(apply.id);
    ok(
      `run ${apply.id} applied: one card kept per person, the others decided (${fmt(applied.cardsClassified)} classified)`,
    );
    // The apply sends the first wave itself; an operator's wave the same day then finds the day's cap reached.
    const counters = await until('the first wave', async () => {
      const c = await api.ok(op, 'GET', '/v1/reconciliation/surplus');
      return sum(c.items.map((x: { invalidated: number }) => x.invalidated)) > 0 ? c : null;
    });
    const wave = await api.ok(op, 'POST', '/v1/reconciliation/waves');
    say(
      `    POST /v1/reconciliation/waves: ${wave.opposed} opposed now, ${fmt(wave.opposedToday)} today of ` +
        `RECONCILE_DAILY_LIMIT ${fmt(wave.dailyLimit)}, ${fmt(wave.remaining)} left for the next days (hourly job)`,
    );
    check(
      wave.opposedToday === dailyLimit && wave.opposed === 0 && wave.remaining > 0,
      "the first wave opposed the day's limit; a second wave the same day opposes nothing",
    );
    say('    GET /v1/reconciliation/surplus (also reconciliation_surplus_cards in /metrics):');
    for (const c of counters.items as Array<{ regimeCode: string; found: number; invalidated: number }>)
      say(`      regime ${c.regimeCode}: ${fmt(c.found)} surplus found, ${fmt(c.invalidated)} invalidated`);
    let opposed: { serial: string; oppositionReason: string } | null = null;
    for (const serial of surplusSerials) {
      const card = await api.ok(op, 'GET', `/v1/cards/${serial}`);
      if (card.state === 'opposed') {
        opposed = card;
        break;
      }
    }
    check(
      opposed?.oppositionReason === 'surplus',
      `card ${opposed?.serial} is opposed (surplus): on the next incremental opposition list; withdrawable with DELETE /v1/cards/${opposed?.serial}/opposition`,
    );

    step('5', 'A renewal campaign: cards without photo of holders aged 16 or more, general regime');
    const cohort = { regimeCodes: ['01'], generation: 1, minAge: 16 };
    const size = await api.ok(op, 'POST', '/v1/campaigns/dry-run', { cohort });
    say(`    POST /v1/campaigns/dry-run ${JSON.stringify({ cohort })}`);
    say(`      ${fmt(size.holders)} holders, ${size.daysAtCapacity} day(s) at CAMPAIGN_DAILY_CAPACITY`);
    check(size.holders > 0, 'the cohort has holders (kept cards without photo)');
    const campaignLimit = Math.max(1, Math.ceil(size.holders / 4));
    const campaign = await api.ok(op, 'POST', '/v1/campaigns', {
      name: 'Cartes sans photo, 16 ans et plus',
      cohort,
      dailyLimit: campaignLimit,
    });
    ok(`POST /v1/campaigns: campaign ${campaign.id} (${campaign.status}), at most ${campaignLimit} forms a day`);
    await api.ok(op, 'POST', `/v1/campaigns/${campaign.id}/start`);
    const waves = await until(
      'the first campaign wave',
      async () => {
        const w = await api.ok(op, 'GET', `/v1/campaigns/${campaign.id}/waves`);
        return w.items.length === 1 && w.items[0].status !== 'open' ? w : null;
      },
      120,
    );
    const first = waves.items[0];
    say(
      `    POST /v1/campaigns/${campaign.id}/start, then GET /v1/campaigns/${campaign.id}/waves: ` +
        `${first.day}: planned ${first.planned}, sent ${first.sent}, skipped ${first.skipped} (${first.status})`,
    );
    check(
      first.sent + first.skipped > 0 && first.sent <= campaignLimit,
      `the first wave opened ${first.sent} card requests (step 1, forms sent), within the campaign's daily limit`,
    );
    const funnel = await api.ok(op, 'GET', `/v1/campaigns/${campaign.id}/funnel`);
    say(
      `    GET /v1/campaigns/${campaign.id}/funnel: forms sent ${funnel.formsSent}, answered ${funnel.answered}, ` +
        `photos refused ${funnel.photosRefused}, cards active ${funnel.cardsActive}, unanswered ${funnel.unanswered}`,
    );
    check(funnel.formsSent === first.sent, 'the funnel counts the forms the wave sent');
    const rerun = await api.ok(op, 'POST', '/v1/campaigns/run-waves');
    const after = await api.ok(op, 'GET', `/v1/campaigns/${campaign.id}`);
    check(
      rerun.sent === 0 && after.sent === first.sent,
      'running the waves again today sends nothing more (one wave per campaign and day)',
    );
    say(`    pause/resume/cancel: POST /v1/campaigns/${campaign.id}/pause|resume|cancel (docs/campaigns.md)`);

    say('\nTakeover demo complete: imported, reconciled (one wave), and a renewal campaign started.');
    return 0;
  } finally {
    await stopApp(app);
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : '';
    process.stderr.write(`\nDemo FAILED: ${e instanceof Error ? e.message : String(e)}${cause}\n`);
    process.exit(1);
  },
);
