import { describe, expect, it } from 'vitest';
import { markdownTable, parseBenchArgs, runBench } from '../bench/run.js';

function capture() {
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => {
      io.stdout += t;
    },
    err: (t: string) => {
      io.stderr += t;
    },
  };
  return io;
}

describe('benchmark runner', () => {
  it('runs one benchmark on its own PostgreSQL and prints its figures as JSON on the last line', async () => {
    const io = capture();
    const code = await runBench(['--only', 'seed', '--json', '--rows', '2000'], io);
    expect(code, io.stderr).toBe(0);
    const last = io.stdout.trim().split('\n').at(-1)!;
    const figures = JSON.parse(last);
    expect(figures.bench).toBe('seed');
    for (const key of ['rows_per_s', 'baseline_rows_per_s', 'ratio']) {
      expect(typeof figures[key], key).toBe('number');
      expect(figures[key], key).toBeGreaterThan(0);
    }
    expect(figures.rows).toBe(2000);
    expect(figures.ratio).toBeCloseTo(figures.rows_per_s / figures.baseline_rows_per_s, 1);
  }, 120_000);

  it('refuses unknown benchmarks and options before starting anything', async () => {
    const io = capture();
    expect(await runBench(['--only', 'nope'], io)).toBe(2);
    expect(io.stderr).toContain('no benchmark named "nope"');
    expect(parseBenchArgs(['--only', 'seed', '--bogus', '1'])).toMatchObject({ kind: 'error' });
    expect(parseBenchArgs(['--only', 'seed', '--rows'])).toMatchObject({ kind: 'error' });
    expect(parseBenchArgs(['--json', '--rows', '10'])).toMatchObject({
      kind: 'run',
      args: { json: true, options: { rows: '10' } },
    });
  });

  it('prints a markdown table with one row per figure, its baseline and the ratio', () => {
    const table = markdownTable([
      { bench: 'seed', rows: 2000, rows_per_s: 30000, baseline_rows_per_s: 10000, ratio: 3 },
    ]);
    expect(table).toContain('| bench | figure | value | baseline | ratio |');
    expect(table).toContain('| seed | rows_per_s | 30,000 | 10,000 | 3 |');
    expect(table).toContain('seed: rows = 2,000');
  });

  it('a benchmark with two figures shows each beside its own baseline and ratio (the kiosk keys)', () => {
    const table = markdownTable([
      {
        bench: 'kiosk',
        checks_per_s: 3000,
        p50_ms: 8,
        p99_ms: 30,
        baseline_per_s: 5000,
        baseline_checks_per_s: 5000,
        baseline_p99_ms: 15,
        ratio: 0.6,
        ratio_p99_ms: 2,
        cards: 1000000,
      },
    ]);
    expect(table).toContain('| kiosk | checks_per_s | 3,000 | 5,000 | 0.60 |');
    expect(table).toContain('| kiosk | p99_ms | 30 | 15 | 2 |');
  });
});
