#!/usr/bin/env node
// `node scripts/run-built.mjs src/cli/kiosk.ts [args…]`: runs the compiled file (dist/src/cli/kiosk.js) with the
// arguments, building first only when dist/ is missing or older than a source. Rebuilding on every call made a one
// second kiosk exchange take twenty. Plain JavaScript: it must run before anything is compiled.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What tsc -p tsconfig.build.json compiles, and the settings that change its output. */
const SOURCE_DIRS = ['src', 'bench'];
const SOURCE_FILES = ['ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

/** dist/<entry>.js for <entry>.ts, relative to the project root. */
export function builtPath(entry) {
  return path.join('dist', entry.replace(/\.ts$/, '.js'));
}

/** The newest modification time (ms) among the sources under `root`, and the file that has it. */
export function newestSource(root) {
  let newest = { file: null, mtimeMs: 0 };
  const visit = (file) => {
    const s = statSync(file);
    if (s.isDirectory()) {
      for (const name of readdirSync(file)) visit(path.join(file, name));
    } else if (s.mtimeMs > newest.mtimeMs) {
      newest = { file, mtimeMs: s.mtimeMs };
    }
  };
  for (const d of SOURCE_DIRS) if (existsSync(path.join(root, d))) visit(path.join(root, d));
  for (const f of SOURCE_FILES) if (existsSync(path.join(root, f))) visit(path.join(root, f));
  return newest;
}

/**
 * Why `entry` must be built before it runs, or null when its compiled file is newer than every source (tsc rewrites
 * every output on each build, so the entry's own time is the time of the last build).
 */
export function staleReason(root, entry) {
  const built = path.join(root, builtPath(entry));
  if (!existsSync(built)) return `${builtPath(entry)} is missing`;
  const newest = newestSource(root);
  if (newest.mtimeMs > statSync(built).mtimeMs)
    return `${path.relative(root, newest.file)} changed since the last build`;
  return null;
}

function main() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const [entry, ...args] = process.argv.slice(2);
  if (!entry || !entry.endsWith('.ts')) {
    process.stderr.write('usage: node scripts/run-built.mjs src/<file>.ts [arguments]\n');
    process.exit(2);
  }
  const reason = staleReason(root, entry);
  if (reason) {
    process.stderr.write(`building first (${reason})…\n`);
    const tsc = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      { cwd: root, stdio: 'inherit' },
    );
    if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  }
  const child = spawn(process.execPath, [path.join(root, builtPath(entry)), ...args], { stdio: 'inherit' });
  // Ctrl-C reaches the child from the terminal itself (same process group): let it stop in its own way, and pass on
  // a SIGTERM or SIGHUP sent to this process alone. Exit as the child did.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(signal ? 128 + (os.constants.signals[signal] ?? 0) : (code ?? 1)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
