import { consoleBench } from './benchmarks/console.bench.js';
import { emissionBench } from './benchmarks/emission.bench.js';
import { familiesBench } from './benchmarks/families.bench.js';
import { kioskBench } from './benchmarks/kiosk.bench.js';
import { oppositionBench } from './benchmarks/opposition.bench.js';
import { photoBench } from './benchmarks/photo.bench.js';
import { seedBench } from './benchmarks/seed.bench.js';
import { takeoverBench } from './benchmarks/takeover.bench.js';
import { takeoverReconcileBench } from './takeover-reconcile.js';
import type { Benchmark } from './types.js';

/** Every benchmark, in the order `npm run bench` runs them. Add yours here (one file in benchmarks/, one line). */
export const BENCHMARKS: readonly Benchmark[] = [
  seedBench,
  emissionBench,
  oppositionBench,
  photoBench,
  kioskBench,
  familiesBench,
  takeoverBench,
  takeoverReconcileBench,
  consoleBench,
];
