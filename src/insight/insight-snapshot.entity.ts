import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/** The business figures counted by the job insight.refresh-figures: one row, replaced at each run. */
@Entity('insight_snapshot')
@Check('insight_snapshot_one_row', 'id = 1')
export class InsightSnapshot {
  @PrimaryColumn({ type: 'smallint' })
  id: number;

  @Column({ type: 'timestamptz' })
  takenAt: Date;

  @Column({ type: 'jsonb' })
  figures: Record<string, unknown>;
}
