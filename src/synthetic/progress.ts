/**
 * A one-line progress bar for long CLI runs, on stderr so stdout stays for results. On a terminal it redraws in
 * place (at most 10 times a second); otherwise (CI logs, pipes) it prints a line every 10 %.
 */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const WIDTH = 30;

/** The bar's last figures: what the final line showed, for a summary that must say the same. */
export interface ProgressSummary {
  done: number;
  seconds: number;
  /** done / seconds, per second. */
  rate: number;
}

export class ProgressBar {
  private started = performance.now();
  private lastDraw = 0;
  private lastDecile = -1;
  private done = 0;

  constructor(
    private readonly total: number,
    private readonly label = 'progress',
    private readonly stream: ProgressStream = process.stderr,
  ) {}

  /** Starts the clock again: the work being measured begins now (set-up before it is not counted in the rate). */
  start(): void {
    this.started = performance.now();
  }

  update(done: number): void {
    this.done = Math.min(Math.floor(done), this.total);
    const now = performance.now();
    if (this.stream.isTTY) {
      if (now - this.lastDraw < 100 && this.done < this.total) return;
      this.lastDraw = now;
      this.stream.write(`\r${this.render(now)}\x1b[K`);
    } else {
      // The 100 % line is finish()'s: drawn at the very end, it shows the figures the summary gives.
      const decile = Math.floor((this.done / Math.max(1, this.total)) * 10);
      if (decile === this.lastDecile || decile >= 10) return;
      this.lastDecile = decile;
      this.stream.write(`${this.render(now)}\n`);
    }
  }

  /**
   * Draws the final state (`done` = what was really completed, when it differs from the last update) and ends the
   * line; returns the figures drawn, so a summary printed after it agrees with the bar.
   */
  finish(done = this.done): ProgressSummary {
    this.done = Math.min(Math.floor(done), this.total);
    const now = performance.now();
    this.stream.write(this.stream.isTTY ? `\r${this.render(now)}\x1b[K\n` : `${this.render(now)}\n`);
    const seconds = (now - this.started) / 1000;
    return { done: this.done, seconds, rate: seconds > 0 ? this.done / seconds : 0 };
  }

  private render(now: number): string {
    const fraction = this.total ? this.done / this.total : 1;
    const filled = Math.round(fraction * WIDTH);
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const eta = rate > 0 && this.done < this.total ? ` ETA ${formatDuration((this.total - this.done) / rate)}` : '';
    return `${this.label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(1).padStart(5)} % ${this.done.toLocaleString('en-US')}/${this.total.toLocaleString('en-US')} ${formatRate(rate)} ${this.label}/s${eta}`;
  }
}

/** A rate as the bar and the summaries print it: whole units, thousands separated. */
export function formatRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString('en-US');
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${String(Math.floor(seconds - m * 60)).padStart(2, '0')} s`;
}
