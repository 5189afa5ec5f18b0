import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppConfig, CONFIG_ENV } from '../src/config/app-config.js';
import { JOB_SPECS, JobName, SCHEDULED_JOBS, type JobSchedule } from '../src/platform/jobs/job-catalogue.js';

const doc = () => readFileSync(path.resolve('docs/operations.md'), 'utf8');

/** The job table's rows: job name → its "started by" cell. */
const startedBy = (): Map<string, string> =>
  new Map([...doc().matchAll(/^\| `([a-z-]+\.[a-z-]+)` \| ([^|]+) \|/gm)].map((m) => [m[1], m[2].trim()]));

/**
 * How the doc words a cron expression: `daily HH:MM`, `hourly at :MM`, `every N min`. Any other shape fails here,
 * so a new kind of schedule gets its wording (and its row) on purpose.
 */
function wording(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  const [sec, min, hour, ...rest] = fields.length === 5 ? ['0', ...fields] : fields;
  if (rest.some((f) => f !== '*') || !/^\d+$/.test(sec)) throw new Error(`no wording for the cron ${expression}`);
  const two = (n: string) => n.padStart(2, '0');
  const every = /^\*\/(\d+)$/.exec(min);
  if (every && hour === '*') return `every ${every[1]} min`;
  if (/^\d+$/.test(min) && sec === '0' && hour === '*') return `hourly at :${two(min)}`;
  if (/^\d+$/.test(min) && sec === '0' && /^\d+$/.test(hour)) return `daily ${two(hour)}:${two(min)}`;
  throw new Error(`no wording for the cron ${expression}`);
}

/** The doc's wording of a schedule: the expression's, or the setting's name with its default's. */
function scheduleWording(s: JobSchedule): string {
  if (typeof s.cron === 'string') return wording(s.cron);
  return `\`${CONFIG_ENV[s.cron.setting]}\` (${wording(new AppConfig()[s.cron.setting])})`;
}

describe('docs/operations.md', () => {
  it('lists every background job of the catalogue, and only those', () => {
    expect([...startedBy().keys()].sort()).toEqual([...Object.values(JobName)].sort());
  });

  it('gives each scheduled job its catalogue schedule, and no schedule to the others', () => {
    const rows = startedBy();
    const wrong: string[] = [];
    for (const name of Object.values(JobName)) {
      const cell = rows.get(name) ?? '';
      const s = JOB_SPECS[name].schedule;
      if (s && !cell.startsWith(scheduleWording(s)))
        wrong.push(`${name}: "${cell}" should start with "${scheduleWording(s)}"`);
      if (!s && /^(daily|hourly|every|`[A-Z_]+_CRON`)/.test(cell))
        wrong.push(`${name}: "${cell}" reads as a schedule, and it has none`);
    }
    expect(wrong).toEqual([]);
  });

  it('says the zone the schedules are read in', () => {
    const zones = new Set(SCHEDULED_JOBS.map((n) => JOB_SPECS[n].schedule!.timeZone));
    expect([...zones]).toEqual(['Europe/Paris']);
    expect(doc()).toContain('Times are Europe/Paris.');
  });
});
