import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as Pino } from 'pino';

/**
 * Structured JSON logs. Personal data never reaches them: known personal fields are censored by key, and any
 * text that looks like a NIR (13 characters, with or without its key) is masked wherever it appears.
 */
const NIR_PATTERN =
  /(?<![0-9A-Za-z])[1-478]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}(?:\s?\d{2})?(?![0-9A-Za-z])/gi;
const PERSONAL_KEYS = new Set([
  'nir',
  'firstName',
  'birthName',
  'usageName',
  'addressLines',
  'address',
  'photo',
  'image',
  'birthDate',
  'authorization',
  'apiKey',
  'secret',
  'password',
  'body',
  'payload',
]);

export function scrubText(text: string): string {
  return text.replace(NIR_PATTERN, '[nir]');
}

export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = PERSONAL_KEYS.has(k) ? '[redacted]' : scrub(v, depth + 1);
  }
  return out;
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Pino {
  return pino(
    {
      level,
      base: { service: 'vitale-backoffice' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => scrub(a)) as Parameters<typeof method>);
        },
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}

/**
 * Resolves once every line logged so far is written out, ending the logger's stream: the last thing before
 * process.exit (pino writes stdout asynchronously, and a line still being written when the process exits is lost).
 */
export function closeLogs(logger: Pino): Promise<void> {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as
    { end?: () => void; once?: (event: string, listener: () => void) => void } | undefined;
  if (!stream?.end || !stream.once) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once!('close', resolve);
    stream.once!('error', resolve);
    stream.end!();
  });
}

/**
 * Nest's start-up chatter, one line per module and per route (about 130 lines before the start banner), is debug:
 * the program's own 'started' line says where it listens.
 */
const START_UP_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/** Nest's logger interface on top of pino, so framework messages are JSON and scrubbed too. */
export class JsonLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, rest: unknown[]) {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    if (typeof message === 'object' && message !== null) {
      this.pino[level]({ context, ...(message as object) });
    } else {
      const stack = level === 'error' && typeof rest[0] === 'string' && rest.length > 1 ? rest[0] : undefined;
      this.pino[level]({ context, ...(stack ? { stack } : {}) }, String(message));
    }
  }
  log(message: unknown, ...rest: unknown[]) {
    const context = rest[rest.length - 1];
    this.write(typeof context === 'string' && START_UP_CONTEXTS.has(context) ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.write('fatal', message, rest);
  }
}
