import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobName } from '../src/platform/jobs/job-catalogue.js';

describe('docs/operations.md', () => {
  it('lists every background job of the catalogue, and only those', () => {
    const doc = readFileSync(path.resolve('docs/operations.md'), 'utf8');
    const listed = [...doc.matchAll(/^\| `([a-z]+\.[a-z-]+)` \|/gm)].map((m) => m[1]);
    expect([...listed].sort()).toEqual([...Object.values(JobName)].sort());
  });
});
