import { Check, Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { Card } from '../cards/card.entity.js';

/**
 * What the taken-over card base said of an imported card beyond its `card` row. The holder's NIR is kept only when
 * the register does not know the holder (the card's `beneficiary_id` is then null): it is what links the card when
 * the register learns the person.
 */
@Entity('imported_card')
@Check('imported_card_dependants', `dependants_carried BETWEEN 0 AND 99`)
export class ImportedCard {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_imported_card' })
  cardId: string;

  @OneToOne(() => Card, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'card_id', foreignKeyConstraintName: 'imported_card_card_fk' })
  card?: Card;

  @Column({ type: 'char', length: 15, nullable: true })
  holderNir: string | null;

  @Column({ type: 'date' })
  issuedOn: string;

  @Column({ type: 'date', nullable: true })
  lastUpdatedOn: string | null;

  @Column({ type: 'smallint', default: 0 })
  dependantsCarried: number;

  /** The card-base import (card_base_import) and line that brought the card: tells a duplicate line from a resend. */
  @Column({ type: 'uuid', nullable: true })
  importId: string | null;

  @Column({ type: 'integer', nullable: true })
  importLine: number | null;
}
