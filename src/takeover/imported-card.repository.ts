import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { run } from '../platform/database/sql.js';

export interface ImportedCardFacts {
  cardId: string;
  /** Only when the register does not know the holder. */
  holderNir: string | null;
  issuedOn: string;
  lastUpdatedOn: string | null;
  dependantsCarried: number;
}

/** The only place that reads and writes `imported_card` (the card base taken over; see docs/card-base-takeover.md). */
@Injectable()
export class ImportedCardRepository {
  /** Records what the old base said of cards imported in the same transaction, in one statement. */
  async recordIn(em: EntityManager, facts: ImportedCardFacts[]): Promise<void> {
    if (facts.length === 0) return;
    await em.query(
      `INSERT INTO imported_card (card_id, holder_nir, issued_on, last_updated_on, dependants_carried)
       SELECT * FROM unnest($1::uuid[], $2::char(15)[], $3::date[], $4::date[], $5::smallint[])`,
      [
        facts.map((f) => f.cardId),
        facts.map((f) => f.holderNir),
        facts.map((f) => f.issuedOn),
        facts.map((f) => f.lastUpdatedOn),
        facts.map((f) => f.dependantsCarried),
      ],
    );
  }
  /**
   * The card-base import's chunk: what the old base said of each card of `stage` the chunk inserted (the card row
   * carries the staged card id), with the import and line that brought it. The holder's NIR is kept only when the
   * register did not know the holder.
   */
  async recordStaged(em: EntityManager, stage: string, importId: string): Promise<number> {
    const { count } = await run(
      em,
      `INSERT INTO imported_card (card_id, holder_nir, issued_on, last_updated_on, dependants_carried, import_id, import_line)
       SELECT s.card_id, CASE WHEN c.beneficiary_id IS NULL THEN s.nir END, s.issued_on, s.last_updated_on, s.dependants, $1, s.line
         FROM ${stage} s JOIN card c ON c.id = s.card_id`,
      [importId],
    );
    return count;
  }
}
