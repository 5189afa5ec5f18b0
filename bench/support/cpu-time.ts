import { readFileSync } from 'node:fs';

/**
 * CPU time actually spent running, read from Linux's schedstat (nanoseconds on the CPU, not wall time): on this
 * shared two-core machine the request rate moves by half from one day to the next, but the CPU a request costs
 * moves far less, so per-request CPU tells two builds apart where rates cannot. Undefined where /proc has no
 * schedstat (another OS, a kernel without it); the benchmark then reports no CPU figures.
 */
function runNs(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'latin1').split(' ')[0]);
  } catch {
    return undefined;
  }
}

/** The bench process's main thread: the one both servers under test answer on (the load runs in a worker). */
export const mainThreadCpuNs = (): number | undefined => runNs(`/proc/self/task/${process.pid}/schedstat`);

/** The summed CPU of these processes (PostgreSQL backends); processes gone meanwhile count as 0 on both reads. */
export function processesCpuNs(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const ns = runNs(`/proc/${pid}/schedstat`);
    if (ns !== undefined) out.set(pid, ns);
  }
  return out;
}

/** CPU spent between two `processesCpuNs` reads, by the processes present in both. */
export function cpuNsBetween(before: Map<number, number>, after: Map<number, number>): number {
  let ns = 0;
  for (const [pid, end] of after) {
    const start = before.get(pid);
    if (start !== undefined) ns += end - start;
  }
  return ns;
}
