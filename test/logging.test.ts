import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { closeLogs, createLogger, JsonLogger, scrub, scrubText } from '../src/platform/logging/logger.js';

describe('logs carry no personal data', () => {
  it('masks NIRs wherever they appear in text', () => {
    for (const nir of [
      '255081416802538',
      '2 55 08 14 168 025 38',
      '1850519123456',
      '185052A12345633',
      '785057800608436',
    ]) {
      expect(scrubText(`lookup of ${nir} failed`)).toBe('lookup of [nir] failed');
    }
    expect(scrubText('request 3f2a took 1234567 ms')).toBe('request 3f2a took 1234567 ms');
  });

  it('censors personal fields by name and photos by type', () => {
    const out = scrub({
      nir: '255081416802538',
      firstName: 'JEANNE',
      nested: { birthName: 'DUPONT', photo: Buffer.alloc(10) },
      count: 3,
    }) as Record<string, any>;
    expect(out).toEqual({
      nir: '[redacted]',
      firstName: '[redacted]',
      nested: { birthName: '[redacted]', photo: '[redacted]' },
      count: 3,
    });
    expect(scrub({ blob: Buffer.alloc(2048) })).toEqual({ blob: '[2048 bytes]' });
  });

  it('writes JSON lines through the scrubber', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger('info', sink);
    log.info({ nir: '255081416802538', detail: 'NIR 255081416802538 refused' }, 'for 2 55 08 14 168 025 38');
    const entry = JSON.parse(lines[0]);
    expect(lines[0]).not.toContain('255081416802538');
    expect(lines[0]).not.toContain('168 025');
    expect(entry.level).toBe('info');
  });

  it("has every line written out once closeLogs resolves (the program's last step before it exits)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vitale-logs-'));
    try {
      const file = path.join(dir, 'out.log');
      const log = createLogger(
        'info',
        pino.destination({ dest: file, sync: false }) as unknown as NodeJS.WritableStream,
      );
      for (let i = 0; i < 1000; i++) log.info({ i }, 'line');
      log.info('stopped');
      await closeLogs(log);
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(1001);
      expect(JSON.parse(lines.at(-1)!).msg).toBe('stopped');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("puts Nest's start-up chatter (modules, routes) at debug, and the rest of its messages at info", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const nest = new JsonLogger(createLogger('info', sink));
    nest.log('Mapped {/v1/cards, GET} route', 'RouterExplorer');
    nest.log('CardsController {/v1/cards}:', 'RoutesResolver');
    nest.log('CardsModule dependencies initialized', 'InstanceLoader');
    nest.log('sftp listening', 'sftp');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['sftp listening']);
  });
});
