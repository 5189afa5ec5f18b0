import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { run } from './sql.js';

/** One attachment as the register keeps it (rights are the canonical `coverage` / `ald_periods` record contents). */
export interface AttachmentInput {
  dependantId: string;
  parentId: string;
  validFrom: string;
  validTo: string | null;
  coverage: unknown[];
  aldPeriods: unknown[];
}

/**
 * The owner of the `attachment` table (migration Families): which dependants each insured parent carries on their
 * cards, over which periods, with the rights that parent's regime gives them. The family rules (two parents at
 * most, no chains, never twice under one parent) are the database's constraints and trigger.
 */
@Injectable()
export class AttachmentRepository {
  /** Attaches a dependant to a parent; the database refuses what breaks a family rule. */
  async attach(em: EntityManager, a: AttachmentInput): Promise<string> {
    const { rows } = await run<{ id: string }>(
      em,
      `INSERT INTO attachment (dependant_id, parent_id, valid_from, valid_to, coverage, ald_periods)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb) RETURNING id`,
      [a.dependantId, a.parentId, a.validFrom, a.validTo, JSON.stringify(a.coverage), JSON.stringify(a.aldPeriods)],
    );
    return rows[0].id;
  }
}
