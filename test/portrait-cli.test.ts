import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageProcessor } from '../src/photo/image-processor.js';
import { PHOTO_THRESHOLDS } from '../src/photo/photo-checks.js';
import { evaluatePhoto } from '../src/photo/photo-pipeline.js';
import { tempDir } from './support/temp-dirs.js';

/** `npm run portrait`: a synthetic portrait JPEG a user can send as a scan; the photo checks accept it (or refuse a --defect). */
describe('npm run portrait', () => {
  const run = (cwd: string, ...args: string[]) =>
    spawnSync(process.execPath, [path.resolve('dist/src/cli/portrait.js'), ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, INIT_CWD: cwd, PHOTO_THRESHOLDS: '' },
    });

  it('writes a JPEG, in the folder the command was typed in, that the photo checks accept; each defect is refused for its reason', async () => {
    const dir = tempDir('portrait');
    const res = run(dir, '--out', 'scan.jpg');
    expect(res.status, res.stderr).toBe(0);
    const file = path.join(dir, 'scan.jpg');
    expect(JSON.parse(res.stdout)).toMatchObject({ file, photoChecks: 'accepted', reasons: [] });
    const jpeg = readFileSync(file);
    expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
    // Checked again here, apart from the command's own verdict: the server's pipeline accepts the file.
    const verdict = await evaluatePhoto(new ImageProcessor(), jpeg, PHOTO_THRESHOLDS);
    expect(verdict.reasons).toEqual([]);
    expect(verdict.images?.chip.length).toBeLessThanOrEqual(15_000);

    for (const [defect, reason] of [
      ['small', 'PHOTO_TOO_SMALL'],
      ['dark', 'PHOTO_TOO_DARK'],
      ['bright', 'PHOTO_TOO_BRIGHT'],
      ['grey', 'PHOTO_GREYSCALE'],
    ]) {
      const bad = run(dir, '--out', `${defect}.jpg`, '--defect', defect);
      expect(bad.status, bad.stderr).toBe(0);
      expect(JSON.parse(bad.stdout).photoChecks).toBe('refused');
      expect(
        (await evaluatePhoto(new ImageProcessor(), readFileSync(path.join(dir, `${defect}.jpg`)), PHOTO_THRESHOLDS))
          .reasons,
      ).toContain(reason);
    }
    expect(run(dir, '--defect', 'blurry').status).toBe(2);
  }, 60_000);
});
