import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** The product's documentation stands alone: every relative link of README.md and docs/ names a file of this repository. */
describe('documentation links', () => {
  const root = process.cwd();
  const markdown = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const p = path.join(dir, name);
      return statSync(p).isDirectory() ? markdown(p) : name.endsWith('.md') ? [p] : [];
    });
  const files = [path.join(root, 'README.md'), ...markdown(path.join(root, 'docs'))];

  it('every relative link resolves inside the repository, to a file that exists', () => {
    const broken: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1].split('#')[0];
        if (!target || /^[a-z]+:/i.test(target)) continue; // an anchor of the same page, or a web address
        const resolved = path.resolve(path.dirname(file), target);
        const where = `${path.relative(root, file)} → ${m[1]}`;
        if (path.relative(root, resolved).startsWith('..')) broken.push(`${where} (outside the repository)`);
        else if (!existsSync(resolved)) broken.push(`${where} (no such file)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
