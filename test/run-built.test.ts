import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/temp-dirs.js';

/**
 * `npm run kiosk`, `demo`, `cli`, `seed:synthetic` and `portrait` go through scripts/run-built.mjs: it runs the
 * compiled file, building only when dist/ is missing or older than a source. Tried on a small project of its own,
 * so the real dist/ (used by the other test files) is never rebuilt during the run.
 */
describe('scripts/run-built.mjs', () => {
  it('builds only when dist is missing or stale, then runs the built file with its arguments and its exit code', () => {
    const root = tempDir('run-built');
    mkdirSync(path.join(root, 'scripts'));
    mkdirSync(path.join(root, 'src'));
    copyFileSync('scripts/run-built.mjs', path.join(root, 'scripts', 'run-built.mjs'));
    symlinkSync(path.resolve('node_modules'), path.join(root, 'node_modules'));
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(
      path.join(root, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          types: ['node'],
          strict: true,
          outDir: 'dist',
          rootDir: '.',
        },
      }),
    );
    writeFileSync(
      path.join(root, 'tsconfig.build.json'),
      JSON.stringify({ extends: './tsconfig.json', include: ['src'] }),
    );
    writeFileSync(
      path.join(root, 'src', 'hello.ts'),
      `process.stdout.write('hello ' + process.argv.slice(2).join(' ') + '\\n');\nprocess.exit(process.argv.includes('fail') ? 3 : 0);\n`,
    );
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(root, 'scripts', 'run-built.mjs'), 'src/hello.ts', ...args], {
        cwd: root,
        encoding: 'utf8',
        timeout: 120_000,
      });

    const first = run('a', 'b');
    expect(first.stderr).toContain('building first (dist/src/hello.js is missing)');
    expect(first.stdout).toBe('hello a b\n');
    expect(first.status).toBe(0);

    const again = run('c');
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe('hello c\n');

    const failing = run('fail');
    expect(failing.stderr).toBe('');
    expect(failing.status).toBe(3);

    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(root, 'src', 'hello.ts'), later, later);
    const stale = run('d');
    expect(stale.stderr).toContain('building first (src/hello.ts changed since the last build)');
    expect(stale.stdout).toBe('hello d\n');
  }, 180_000);
});
