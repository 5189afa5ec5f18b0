import type { EntityManager } from 'typeorm';

/** Runs one statement on the manager's connection (its transaction when it has one); rows and affected count. */
export async function run<T = Record<string, unknown>>(em: EntityManager, sql: string, params: unknown[] = []): Promise<{ rows: T[]; count: number }> {
  const own = !em.queryRunner;
  const qr = em.queryRunner ?? em.connection.createQueryRunner();
  try {
    const r = await qr.query(sql, params, true);
    return { rows: (r.records ?? []) as T[], count: r.affected ?? 0 };
  } finally {
    if (own) await qr.release();
  }
}

/** A row is current on `today` when valid_from <= today < valid_to (open-ended when valid_to is null). */
export const CURRENT = (alias: string, today: string) =>
  `${alias}.valid_from <= ${today} AND (${alias}.valid_to IS NULL OR ${alias}.valid_to > ${today})`;
