import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { ImageProcessor } from '../photo/image-processor.js';
import { resolvePhotoThresholds } from '../photo/photo-checks.js';
import { evaluatePhoto } from '../photo/photo-pipeline.js';
import { PORTRAIT_DEFECTS, type PortraitDefect, syntheticPortrait } from '../synthetic/portrait.js';
import { cliOptions, usageError } from './cli-args.js';

/**
 * `npm run portrait -- [--out portrait.jpg] [--seed N] [--defect small|dark|bright|grey]`: writes a synthetic ID
 * portrait (no real person) as a JPEG to send as a scan (`POST /v1/photos`) or through an upload link. Without
 * --defect it passes the photo checks; with one it is refused for that reason (among others it may break). The file is then run through the
 * same checks the server applies (this environment's PHOTO_* settings) and the verdict printed: exit 0 when it is
 * the one asked for.
 */
const DEFECTS = Object.keys(PORTRAIT_DEFECTS) as PortraitDefect[];
const USAGE = `npm run portrait -- [--out <file.jpg>] [--seed <integer>] [--defect ${DEFECTS.join('|')}]
  Writes a synthetic portrait JPEG (default portrait.jpg) that passes the photo checks, or, with --defect, one they
  refuse for that reason; then prints the checks' verdict.`;

async function main(): Promise<number> {
  const opts = cliOptions(
    {
      out: { type: 'string', default: 'portrait.jpg' },
      seed: { type: 'string', default: '42' },
      defect: { type: 'string' },
    },
    USAGE,
  );
  if (typeof opts === 'number') return opts;
  if (!/^\d{1,9}$/.test(opts.seed!)) return usageError('--seed must be a whole number', USAGE);
  const defect = opts.defect as PortraitDefect | undefined;
  if (defect !== undefined && !DEFECTS.includes(defect))
    return usageError(`--defect must be one of ${DEFECTS.join(', ')}`, USAGE);
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }

  const images = new ImageProcessor(config);
  const jpeg = await images.jpegFromRgb(syntheticPortrait(Number(opts.seed), defect));
  // npm runs scripts in the project folder; a relative path means the folder the user typed the command in.
  const out = path.resolve(process.env.INIT_CWD ?? process.cwd(), opts.out!);
  writeFileSync(out, jpeg);
  const verdict = await evaluatePhoto(images, jpeg, resolvePhotoThresholds(config.photoThresholds));
  const expected: string | null = defect ? PORTRAIT_DEFECTS[defect].reason : null;
  // A defect may break more than one rule (a dark photo has little contrast too): its own reason must be there.
  const asAsked = expected === null ? verdict.reasons.length === 0 : (verdict.reasons as string[]).includes(expected);
  process.stdout.write(
    `${JSON.stringify({
      file: out,
      bytes: jpeg.length,
      width: verdict.width,
      height: verdict.height,
      photoChecks: verdict.reasons.length === 0 ? 'accepted' : 'refused',
      reasons: verdict.reasons,
    })}\n`,
  );
  if (!asAsked)
    process.stderr.write(
      `expected ${expected ? `a refusal for ${expected}` : 'the photo checks to accept it'} (are PHOTO_THRESHOLDS changed here?)\n`,
    );
  return asAsked ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`portrait: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
