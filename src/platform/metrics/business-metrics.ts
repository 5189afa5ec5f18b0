import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { MetricsService } from './metrics.service.js';

/** The business figures in /metrics read from the database (insight.refresh-figures counts them; docs/operations.md). */
export interface BusinessFigures {
  takenAt: Date;
  cardsByState: Record<string, number>;
  openRequestsByStatus: Record<string, number>;
  stuckRequestsByStatus: Record<string, number>;
  kioskExchangesLastHour: Record<string, number>;
}

/**
 * The business side of /metrics (issue 15 item 4). Counters count where the events happen, on the instance where
 * they happen (Prometheus sums the instances); the gauges of the card base are set at each scrape from the one row
 * the singleton job `insight.refresh-figures` writes, never from a count of a million cards per scrape.
 */
@Injectable()
export class BusinessMetrics {
  readonly returnFileRejectedLines: Counter;
  readonly returnFiles: Counter;
  readonly webhookFailures: Counter;
  readonly sftpSessions: Counter;
  readonly sftpSessionsOpen: Gauge;
  private readonly cards: Gauge;
  private readonly openRequests: Gauge;
  private readonly stuckRequests: Gauge;
  private readonly kioskExchanges: Gauge;
  private readonly figuresAge: Gauge;

  constructor(metrics: MetricsService) {
    const registers = [metrics.registry];
    this.returnFileRejectedLines = new Counter({
      name: 'return_file_rejected_lines_total',
      help: "Lines of vendors' return files rejected (written to their reject files), this instance",
      registers,
    });
    this.returnFiles = new Counter({
      name: 'return_files_total',
      help: 'Vendor return files processed, by outcome (ingested, refused), this instance',
      labelNames: ['outcome'],
      registers,
    });
    this.webhookFailures = new Counter({
      name: 'webhook_delivery_failures_total',
      help: 'Failed webhook delivery attempts, by whether the delivery was given up (final=true), this instance',
      labelNames: ['final'],
      registers,
    });
    this.sftpSessions = new Counter({
      name: 'sftp_sessions_total',
      help: 'SFTP log-ins, by result (opened, refused), this instance',
      labelNames: ['result'],
      registers,
    });
    this.sftpSessionsOpen = new Gauge({
      name: 'sftp_sessions_open',
      help: 'SFTP sessions open now on this instance',
      registers,
    });
    this.cards = new Gauge({
      name: 'cards',
      help: 'Cards by state (every organisme), as of business_figures_age_seconds ago',
      labelNames: ['state'],
      registers,
    });
    this.openRequests = new Gauge({
      name: 'card_requests_open',
      help: 'Open card requests by step (status), as of business_figures_age_seconds ago',
      labelNames: ['status'],
      registers,
    });
    this.stuckRequests = new Gauge({
      name: 'card_requests_stuck',
      help: 'Open card requests idle at their step longer than STUCK_AFTER_HOURS, by status',
      labelNames: ['status'],
      registers,
    });
    this.kioskExchanges = new Gauge({
      name: 'kiosk_exchanges_last_hour',
      help: 'Kiosk exchanges finished in the hour before the figures were taken, by result',
      labelNames: ['result'],
      registers,
    });
    this.figuresAge = new Gauge({
      name: 'business_figures_age_seconds',
      help: 'Age of the business figures (cards, card_requests_*, kiosk_exchanges_last_hour); -1 when never counted',
      registers,
    });
    this.figuresAge.set(-1);
  }

  /** Sets the gauges from the figures last counted (null: never counted yet). */
  show(f: BusinessFigures | null, now: Date): void {
    if (!f) {
      this.figuresAge.set(-1);
      return;
    }
    this.figuresAge.set(Math.max(0, Math.round((now.getTime() - f.takenAt.getTime()) / 1000)));
    setAll(this.cards, 'state', f.cardsByState);
    setAll(this.openRequests, 'status', f.openRequestsByStatus);
    setAll(this.stuckRequests, 'status', f.stuckRequestsByStatus);
    setAll(this.kioskExchanges, 'result', f.kioskExchangesLastHour);
  }
}

function setAll(g: Gauge, label: string, values: Record<string, number>): void {
  g.reset();
  for (const [k, v] of Object.entries(values)) g.set({ [label]: k }, v);
}
