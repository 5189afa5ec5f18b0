import type { EntityManager } from 'typeorm';

/**
 * Runs one statement on the manager's connection (its transaction when it has one) and returns the rows and
 * the affected count whatever the command (TypeORM's `query` answers UPDATE/DELETE with [rows, count]).
 */
export async function run<T = Record<string, unknown>>(
  em: EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<{ rows: T[]; count: number }> {
  const own = !em.queryRunner;
  const qr = em.queryRunner ?? em.connection.createQueryRunner();
  try {
    const r = await qr.query(sql, params, true);
    return { rows: (r.records ?? []) as T[], count: r.affected ?? 0 };
  } finally {
    if (own) await qr.release();
  }
}
