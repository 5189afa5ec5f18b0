import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of this instance. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'job_duration_seconds',
    help: 'Background job run time by job name and outcome',
    labelNames: ['job', 'outcome'],
    buckets: [0.01, 0.05, 0.25, 1, 5, 30, 120, 600],
    registers: [this.registry],
  });
  readonly jobQueueSize = new Gauge({
    name: 'job_queue_size',
    help: 'Jobs waiting in each queue',
    labelNames: ['job'],
    registers: [this.registry],
  });
  private readonly scrapeHooks: Array<() => Promise<void>> = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Registers a refresh run before each scrape (gauges read from the database). */
  onScrape(hook: () => Promise<void>): void {
    this.scrapeHooks.push(hook);
  }

  async render(): Promise<string> {
    await Promise.all(this.scrapeHooks.map((h) => h().catch(() => {})));
    return this.registry.metrics();
  }
}
