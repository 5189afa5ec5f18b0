import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface ImportedCardFacts {
  cardId: string;
  /** Only when the register does not know the holder. */
  holderNir: string | null;
  issuedOn: string;
  lastUpdatedOn: string | null;
  dependantsCarried: number;
}

/**
 * The owner of `imported_card` (the card base taken over; see docs/card-base-takeover.md). The card-base import's chunks
 * write it with their cards, in one statement (CardRepository.importStaged; table-owners.ts says why).
 */
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
}
