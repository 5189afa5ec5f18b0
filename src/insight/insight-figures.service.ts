import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { BusinessMetrics } from '../platform/metrics/business-metrics.js';
import { MetricsService } from '../platform/metrics/metrics.service.js';
import { InsightRepository, type SnapshotFigures } from './insight.repository.js';

export interface FiguresSnapshot {
  takenAt: Date;
  figures: SnapshotFigures;
}

/**
 * The business figures: counted once a minute by the singleton job insight.refresh-figures (whatever the number of
 * instances), read back at each /metrics scrape and dashboard call (one row).
 */
@Injectable()
export class InsightFiguresService implements OnModuleInit {
  constructor(
    private readonly repo: InsightRepository,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly business: BusinessMetrics,
  ) {}

  onModuleInit(): void {
    this.metrics.onScrape(async () => {
      const s = await this.repo.snapshot();
      if (!s) return this.business.show(null, new Date());
      const sumBy = <R extends unknown[]>(rows: R[], value: (r: R) => number) => {
        const out: Record<string, number> = {};
        for (const r of rows) out[r[1] as string] = (out[r[1] as string] ?? 0) + value(r);
        return out;
      };
      this.business.show(
        {
          takenAt: new Date(s.takenAt),
          cardsByState: sumBy(s.figures.cards, (r) => r[2]),
          openRequestsByStatus: sumBy(s.figures.requests, (r) => r[2]),
          stuckRequestsByStatus: sumBy(s.figures.requests, (r) => r[3]),
          kioskExchangesLastHour: sumBy(s.figures.kioskLastHour, (r) => r[2]),
        },
        new Date(),
      );
    });
  }

  /** Counts the figures anew (the job's work). */
  refresh(): Promise<void> {
    return this.repo.refreshSnapshot(this.config.stuckAfterHours);
  }

  snapshot(): Promise<FiguresSnapshot | null> {
    return this.repo.snapshot();
  }
}
