// Paths as the rules see them: the module a file belongs to is the nearest folder, going up, that holds a
// *.module.ts (src/emission/orders and src/emission/requests are two modules; src/emission/emission.module.ts is a
// third, for the files directly in src/emission).
import { readdirSync } from 'node:fs';
import path from 'node:path';

const moduleDirs = new Map();

function holdsModule(dir) {
  if (!moduleDirs.has(dir)) {
    let names = [];
    try {
      names = readdirSync(dir);
    } catch {
      // A folder that does not exist (a file linted from text) holds no module.
    }
    moduleDirs.set(
      dir,
      names.some((name) => name.endsWith('.module.ts')),
    );
  }
  return moduleDirs.get(dir);
}

/** The module folder of a path (a file or a folder), or null when none holds a *.module.ts up to the root. */
export function moduleDirOf(file) {
  let dir = path.dirname(file);
  for (;;) {
    if (holdsModule(dir)) return dir;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** The .ts file a relative ESM import names (`./x.repository.js` → `<dir>/x.repository.ts`). */
export function resolveRelative(fromFile, specifier) {
  return path.resolve(path.dirname(fromFile), specifier).replace(/\.([mc]?)js$/, '.$1ts');
}

/** A path as a reader knows it: relative to the folder ESLint runs in, with forward slashes. */
export function shown(cwd, file) {
  return path.relative(cwd, file).split(path.sep).join('/');
}
