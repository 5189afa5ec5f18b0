import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataSourceOptions } from '../src/platform/database/data-source-options.js';
import {
  FRAMEWORK_TABLES,
  TABLE_OWNERS,
  TEMPORARY_TABLES,
  type TableOwnership,
} from '../src/platform/database/table-owners.js';
import { createTestDatabase } from './support/test-app.js';

const ROOT = path.resolve(import.meta.dirname, '..');

interface Write {
  file: string;
  table: string;
  line: number;
  how: string;
}

/** Every .ts file under src/ but the migrations (which build the schema rather than write its rows). */
function sourceFiles(dir = path.join(ROOT, 'src')): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) return p.endsWith(`${path.sep}migrations`) ? [] : sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** Comments blanked out (line numbers kept): prose such as "update the card" is not a statement. */
const stripComments = (s: string) =>
  s.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

const TABLE = String.raw`("?[A-Za-z_][\w.]*"?|\$\{\s*\w+\s*\})`;
const SQL_WRITES: Array<[string, RegExp]> = [
  ['INSERT INTO', new RegExp(String.raw`\bINSERT\s+INTO\s+${TABLE}`, 'g')],
  ['UPDATE … SET', new RegExp(String.raw`\bUPDATE\s+(?:ONLY\s+)?${TABLE}(?:\s+(?:AS\s+)?\w+)?\s+SET\b`, 'g')],
  ['DELETE FROM', new RegExp(String.raw`\bDELETE\s+FROM\s+(?:ONLY\s+)?${TABLE}`, 'g')],
  ['COPY … FROM', new RegExp(String.raw`\bCOPY\s+${TABLE}\s*(?:\([^)]*\))?\s+FROM\b`, 'g')],
  ['TRUNCATE', new RegExp(String.raw`\bTRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?${TABLE}`, 'g')],
  ['MERGE INTO', new RegExp(String.raw`\bMERGE\s+INTO\s+${TABLE}`, 'g')],
];
const ORM_WRITE = 'save|insert|update|delete|upsert|remove|softDelete|softRemove|restore|increment|decrement|clear';

/**
 * The tables a file writes: SQL write statements (a `${NAME}` table resolved through `const NAME = '…'` in the same
 * file, else reported as `${NAME}`), and TypeORM writes through an entity (`getRepository(E).save(…)`, a variable
 * holding `getRepository(E)`, `em.update(E, …)`, a query builder's `.update(E)`, `.into(E)`, `.delete().from(E)`).
 */
export function writesIn(file: string, source: string, entityTables: Map<string, string>): Write[] {
  const text = stripComments(source);
  const lineOf = (i: number) => text.slice(0, i).split('\n').length;
  const consts = new Map([...text.matchAll(/\bconst\s+(\w+)\s*=\s*['"`]([\w.]+)['"`]/g)].map((m) => [m[1], m[2]]));
  const out: Write[] = [];
  for (const [how, re] of SQL_WRITES) {
    for (const m of text.matchAll(re)) {
      let table = m[1].replace(/"/g, '');
      const dyn = /^\$\{\s*(\w+)\s*\}$/.exec(table);
      if (dyn) table = consts.get(dyn[1]) ?? table;
      out.push({ file, table, line: lineOf(m.index!), how });
    }
  }
  const entity = (name: string, i: number, how: string) => {
    const table = entityTables.get(name);
    if (table) out.push({ file, table, line: lineOf(i), how });
  };
  for (const m of text.matchAll(new RegExp(String.raw`getRepository\(\s*(\w+)\s*\)\s*\.\s*(?:${ORM_WRITE})\s*\(`, 'g')))
    entity(m[1], m.index!, 'getRepository(…).write');
  for (const m of text.matchAll(
    /\b(?:const|let|var)\s+(\w+)\s*=\s*[\w.]*getRepository\(\s*(\w+)\s*\)|\bthis\.(\w+)\s*=\s*[\w.]*getRepository\(\s*(\w+)\s*\)/g,
  )) {
    const [alias, name] = m[1] ? [m[1], m[2]] : [`this.${m[3]}`, m[4]];
    const use = new RegExp(String.raw`(?<![\w.])${alias.replace('.', '\\.')}\s*\.\s*(?:${ORM_WRITE})\s*\(`, 'g');
    for (const u of text.matchAll(use)) entity(name, u.index!, `${alias}.write`);
  }
  for (const m of text.matchAll(new RegExp(String.raw`\.(?:${ORM_WRITE})\(\s*([A-Z]\w*)\s*[,)]`, 'g')))
    entity(m[1], m.index!, 'manager/query builder write');
  for (const m of text.matchAll(/\.into\(\s*([A-Z]\w*)\s*[,)]/g)) entity(m[1], m.index!, 'query builder insert');
  for (const m of text.matchAll(/\.delete\(\)\s*\.from\(\s*([A-Z]\w*)\s*[,)]/g))
    entity(m[1], m.index!, 'query builder delete');
  return out.sort((a, b) => a.line - b.line);
}

/** Writes by anyone but the table's owner or a documented exception; writes to tables the catalogue does not know. */
export function violations(
  writes: Write[],
  catalogue: Record<string, TableOwnership>,
  temporary: Record<string, string>,
): string[] {
  const problems: string[] = [];
  for (const w of writes) {
    const where = `${w.file}:${w.line} (${w.how})`;
    if (w.table.startsWith('pgboss.')) continue; // pg-boss's own schema: its jobs, re-queued by the lease repository
    if (w.table.startsWith('${')) {
      problems.push(
        `${where} writes a table named at run time (${w.table}): name it literally, or in a const of the file`,
      );
      continue;
    }
    const temp = temporary[w.table];
    if (temp !== undefined) {
      if (temp !== w.file) problems.push(`${where} writes the temporary table ${w.table}, which belongs to ${temp}`);
      continue;
    }
    const t = catalogue[w.table];
    if (!t) problems.push(`${where} writes ${w.table}, which has no owner in src/platform/database/table-owners.ts`);
    else if (t.owner !== w.file && !t.exceptions?.[w.file])
      problems.push(
        `${where} writes ${w.table}, owned by ${t.owner}: call the owner (from another module, through its module's service)`,
      );
  }
  return problems;
}

describe('one owner per table', () => {
  let ds: DataSource;
  let drop: () => Promise<void>;
  let tables: string[];
  let entityTables: Map<string, string>;
  let writes: Write[];

  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    ds = await new DataSource(dataSourceOptions(db.url, 1)).initialize();
    tables = (
      await ds.query(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
      )
    ).map((r: { name: string }) => r.name);
    entityTables = new Map(ds.entityMetadatas.map((m) => [(m.target as { name: string }).name, m.tableName]));
    writes = sourceFiles().flatMap((f) =>
      writesIn(path.relative(ROOT, f).split(path.sep).join('/'), readFileSync(f, 'utf8'), entityTables),
    );
  });
  afterAll(async () => {
    await ds?.destroy();
    await drop?.();
  });

  it('names an owner for every table of the migrated schema, and only tables that exist', () => {
    expect(Object.keys(FRAMEWORK_TABLES).filter((t) => !tables.includes(t))).toEqual([]);
    const product = tables.filter((t) => !(t in FRAMEWORK_TABLES));
    expect(product.filter((t) => !TABLE_OWNERS[t])).toEqual([]);
    expect(Object.keys(TABLE_OWNERS).filter((t) => !tables.includes(t))).toEqual([]);
    const files = Object.values(TABLE_OWNERS).flatMap((t) => [t.owner, ...Object.keys(t.exceptions ?? {})]);
    expect(files.filter((f) => !existsSync(path.join(ROOT, f)))).toEqual([]);
    expect(
      Object.values(TABLE_OWNERS)
        .map((t) => t.owner)
        .filter((f) => !f.endsWith('.repository.ts')),
    ).toEqual([]);
  });

  it('finds every write under src/ in its table owner (or a documented exception)', () => {
    expect(violations(writes, TABLE_OWNERS, TEMPORARY_TABLES)).toEqual([]);
  });

  it('keeps no stale entry: each owner writes its table (or triggers do), each exception still writes it', () => {
    const wrote = new Set(writes.map((w) => `${w.table} ${w.file}`));
    const stale = Object.entries(TABLE_OWNERS).flatMap(([table, t]) => [
      ...(!t.triggers && !wrote.has(`${table} ${t.owner}`) ? [`${t.owner} no longer writes ${table}`] : []),
      ...Object.keys(t.exceptions ?? {})
        .filter((f) => !wrote.has(`${table} ${f}`))
        .map((f) => `exception ${f} no longer writes ${table}`),
    ]);
    expect(stale).toEqual([]);
  });

  it('fails on a planted write outside the owner, in SQL and through the ORM', () => {
    const planted = `
      import { Card } from '../cards/card.entity.js';
      // UPDATE card SET state = 'lost' (a comment, not a statement)
      const TABLE = 'card_request';
      export async function sneak(em, run) {
        await run(em, \`UPDATE card c SET state = 'lost' WHERE c.id = $1\`, ['x']);
        await run(em, \`DELETE FROM \${TABLE} WHERE id = $1\`, ['x']);
        await run(em, 'INSERT INTO not_a_table (id) VALUES (1)');
        await em.getRepository(Card).save({ id: 'x' });
        const cards = em.getRepository(Card);
        await cards.delete({ id: 'x' });
        await em.createQueryBuilder().update(Card).set({ state: 'lost' }).execute();
      }`;
    const found = violations(
      writesIn('src/photo/photo.service.ts', planted, entityTables),
      TABLE_OWNERS,
      TEMPORARY_TABLES,
    );
    expect(found).toEqual([
      expect.stringMatching(
        /^src\/photo\/photo\.service\.ts:6 \(UPDATE … SET\) writes card, owned by src\/cards\/card\.repository\.ts/,
      ),
      expect.stringMatching(
        /:7 \(DELETE FROM\) writes card_request, owned by src\/emission\/requests\/card-request\.repository\.ts/,
      ),
      expect.stringMatching(/:8 \(INSERT INTO\) writes not_a_table, which has no owner/),
      expect.stringMatching(/:9 \(getRepository\(…\)\.write\) writes card, owned by/),
      expect.stringMatching(/:11 \(cards\.write\) writes card, owned by/),
      expect.stringMatching(/:12 \(manager\/query builder write\) writes card, owned by/),
    ]);
    // The same statements in the owner are fine (but not the unknown table).
    expect(
      violations(
        writesIn(
          'src/cards/card.repository.ts',
          planted.replace(/\$\{TABLE\}/, 'card').replace('not_a_table', 'card'),
          entityTables,
        ),
        TABLE_OWNERS,
        TEMPORARY_TABLES,
      ),
    ).toEqual([]);
  });
});
