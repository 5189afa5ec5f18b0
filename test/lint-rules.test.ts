import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The house rules as lint rules (eslint.config.js, tools/eslint-plugin-house): each sample is linted with the
// project's own configuration under a path that places it (a service, a repository, the CLI…), so a rule dropped
// from the configuration, or applied to the wrong files, fails here. The samples need not exist on disk; the module
// a path belongs to is read from the real tree (src/photo, src/emission/orders and src/emission/requests are
// modules). The configuration has no type-aware rule: those would need each sample to be in tsconfig's program.
const root = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: root });

/** The messages `rule` gives for `code` linted as the file `file` (relative to the repository). */
async function lint(rule: string, file: string, code: string): Promise<{ line: number; message: string }[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  expect(result.messages.filter((m) => m.fatal).map((m) => m.message)).toEqual([]);
  return result.messages.filter((m) => m.ruleId === rule).map(({ line, message }) => ({ line, message }));
}
const lines = (messages: { line: number }[]): number[] => messages.map((m) => m.line);

describe('house/sql-in-repositories', () => {
  const rule = 'house/sql-in-repositories';
  const service = `import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

@Injectable()
export class SampleService {
  constructor(private readonly dataSource: DataSource) {}

  async cards(em: EntityManager, id: string) {
    await em.query('SELECT id FROM card WHERE holder_id = $1', [id]);
    await em.query(\`
      UPDATE card
         SET state = 'opposed'
       WHERE id = \${id}\`);
    return em.getRepository('card').createQueryBuilder('c').getMany();
  }
}
`;

  it('refuses a DataSource injected into a service, SQL strings and the ORM query calls', async () => {
    const messages = await lint(rule, 'src/photo/lint-sample.service.ts', service);
    // line 2: DataSource (a value: the constructor's parameter type is emitted for injection); 9 and 10: .query( and
    // its SQL; 14: .getRepository( and .createQueryBuilder(.
    expect(lines(messages)).toEqual([2, 9, 9, 10, 10, 14, 14]);
    expect(messages[0].message).toContain("Add a method to this module's repository and call it");
    expect(messages[0].message).toContain('Transactions provider');
    expect(messages.find((m) => m.message.startsWith('This string is an SQL statement'))?.message).toContain(
      '*.repository.ts',
    );
  });

  it('refuses pg, pg-copy-streams and TypeORM values used at run time, and SQL in any case', async () => {
    const code = `import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { QueryFailedError } from 'typeorm';
export const pool = new pg.Pool();
export const stream = () => copyTo('COPY card (serial) TO STDOUT');
export const isSql = (e: unknown) => e instanceof QueryFailedError;
export const purge = 'delete from card where id = $1';
export const recent = 'WITH recent AS (SELECT 1) SELECT * FROM recent';
export const fill = 'INSERT INTO card (id) VALUES ($1)';
export const truncate = 'TRUNCATE card';
`;
    const messages = await lint(rule, 'src/photo/lint-sample.ts', code);
    expect(lines(messages)).toEqual([1, 2, 3, 5, 7, 8, 9, 10]);
    expect(messages[2].message).toContain("PostgreSQL's errors are the repository's to map");
  });

  it('lets a service name ORM types (import type, or an import used only as a type) and write prose', async () => {
    const code = `import type pg from 'pg';
import type { DataSource } from 'typeorm';
import { EntityManager } from 'typeorm';
export class Sample {
  run(em: EntityManager, ds: DataSource, client: pg.PoolClient): string[] {
    void em; void ds; void client;
    return ['Select the vendor from the list', 'Update the card set', 'DELETE', 'COPY', 'Insert the card into the reader'];
  }
}
`;
    expect(await lint(rule, 'src/photo/lint-sample.service.ts', code)).toEqual([]);
  });

  it('lets repositories, src/platform/database, the migrations, tests, bench and scripts use SQL and the ORM', async () => {
    for (const file of [
      'src/photo/lint-sample.repository.ts',
      'src/platform/database/lint-sample.ts',
      'src/migrations/1795999999999-LintSample.ts',
      'test/lint-sample.test.ts',
      'bench/lint-sample.ts',
    ]) {
      expect({ file, messages: await lint(rule, file, service) }).toEqual({ file, messages: [] });
    }
  });

  it("lets an entity use TypeORM's decorators, and nothing else of the ORM", async () => {
    const entity = `import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
@Entity('sample')
export class Sample {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text' }) name: string;
}
`;
    expect(await lint(rule, 'src/photo/lint-sample.entity.ts', entity)).toEqual([]);
    const other = `import { DataSource, Entity } from 'typeorm';
@Entity('sample')
export class Sample {}
export const make = () => new DataSource({ type: 'postgres' });
`;
    expect(lines(await lint(rule, 'src/photo/lint-sample.entity.ts', other))).toEqual([1]);
  });
});

describe('house/no-foreign-repository', () => {
  const rule = 'house/no-foreign-repository';

  it("refuses another module's repository, even for a type", async () => {
    const code = `import { CardRequestRepository } from '../emission/requests/card-request.repository.js';
import type { OrderRow } from '../emission/orders/order.repository.js';
export type Sample = [CardRequestRepository, OrderRow];
`;
    const messages = await lint(rule, 'src/photo/lint-sample.service.ts', code);
    expect(lines(messages)).toEqual([1, 2]);
    expect(messages[0].message).toContain('src/emission/requests');
    expect(messages[0].message).toContain("Call a method of that module's service");
  });

  it('counts a nested module as a module of its own (orders is not requests)', async () => {
    const code = `export { CardRequestRepository } from '../requests/card-request.repository.js';\n`;
    expect(lines(await lint(rule, 'src/emission/orders/lint-sample.service.ts', code))).toEqual([1]);
  });

  it('lets a module import its own repository, from any of its folders, and tests import any', async () => {
    const own = `import { OrderRepository } from './order.repository.js';\nexport type Sample = OrderRepository;\n`;
    expect(await lint(rule, 'src/emission/orders/lint-sample.service.ts', own)).toEqual([]);
    const nested = `import { CardRepository } from '../card.repository.js';\nexport type Sample = CardRepository;\n`;
    expect(await lint(rule, 'src/cards/dto/lint-sample.ts', nested)).toEqual([]);
    const test = `import { CardRepository } from '../src/cards/card.repository.js';\nexport type Sample = CardRepository;\n`;
    expect(await lint(rule, 'test/lint-sample.test.ts', test)).toEqual([]);
  });
});

describe('house/no-http-exception-in-services', () => {
  const rule = 'house/no-http-exception-in-services';
  const code = `import { HttpException, Injectable, NotFoundException } from '@nestjs/common';
import * as common from '@nestjs/common';
@Injectable()
export class Sample {
  find(): never {
    if (Math.random() > 2) throw new common.ConflictException();
    throw Math.random() > 1 ? new NotFoundException() : new HttpException('x', 400);
  }
}
`;

  it('refuses HTTP exceptions in services, repositories, jobs and other non-HTTP files', async () => {
    for (const file of [
      'src/photo/lint-sample.service.ts',
      'src/photo/lint-sample.repository.ts',
      'src/photo/lint-sample.jobs.ts',
      'src/photo/lint-sample.ts',
    ]) {
      const messages = await lint(rule, file, code);
      expect({ file, lines: lines(messages) }).toEqual({ file, lines: [1, 1, 6] });
      expect(messages[0].message).toContain('Throw a DomainError');
    }
  });

  it('lets the HTTP layer use them', async () => {
    for (const file of [
      'src/photo/lint-sample.controller.ts',
      'src/photo/lint-sample.guard.ts',
      'src/platform/errors/lint-sample.filter.ts',
      'src/photo/lint-sample.pipe.ts',
      'src/photo/lint-sample.interceptor.ts',
    ]) {
      expect({ file, messages: await lint(rule, file, code) }).toEqual({ file, messages: [] });
    }
  });
});

describe('no-console', () => {
  const rule = 'no-console';
  const code = `console.log('hello');\n`;

  it('refuses the console in the product and its tests', async () => {
    for (const file of ['src/photo/lint-sample.service.ts', 'src/main.ts', 'test/lint-sample.test.ts']) {
      expect({ file, lines: lines(await lint(rule, file, code)) }).toEqual({ file, lines: [1] });
    }
  });

  it('lets the command-line tools, scripts and the bench write to it', async () => {
    for (const file of ['src/cli/lint-sample.ts', 'scripts/lint-sample.mjs', 'bench/lint-sample.ts']) {
      expect({ file, messages: await lint(rule, file, code) }).toEqual({ file, messages: [] });
    }
  });
});
