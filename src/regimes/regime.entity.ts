import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

/** A mandatory health-insurance regime (01 general, 02 agricultural, ...). */
@Entity('regime')
export class Regime {
  @PrimaryColumn({ type: 'char', length: 2 })
  code: string;

  @Column({ type: 'varchar', length: 120 })
  name: string;

  @Column({ type: 'boolean', default: true })
  active: boolean;
}

/** A fund (caisse) of a regime; its code is the regime code followed by the 3-digit caisse number. */
@Entity('fund')
export class Fund {
  @PrimaryColumn({ type: 'char', length: 5 })
  code: string;

  @Index()
  @Column({ type: 'char', length: 2 })
  regimeCode: string;

  @ManyToOne(() => Regime, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'regime_code' })
  regime?: Regime;

  @Column({ type: 'varchar', length: 120 })
  name: string;

  @Column({ type: 'boolean', default: true })
  active: boolean;
}

/**
 * A centre of a fund, identified by the 9-digit organisme code (regime 2 + caisse 3 + centre 4).
 * Insured persons are affiliated to an organisme; a fund partner acts for one organisme.
 */
@Entity('organisme')
export class Organisme {
  @PrimaryColumn({ type: 'char', length: 9 })
  code: string;

  @Index()
  @Column({ type: 'char', length: 5 })
  fundCode: string;

  @ManyToOne(() => Fund, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'fund_code' })
  fund?: Fund;

  @Column({ type: 'char', length: 2 })
  regimeCode: string;

  @Column({ type: 'varchar', length: 120 })
  name: string;

  @Column({ type: 'varchar', length: 80, nullable: true })
  city: string | null;

  @Column({ type: 'boolean', default: true })
  active: boolean;
}
