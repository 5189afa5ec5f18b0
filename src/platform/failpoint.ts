/**
 * Crash points for crash tests (in the spirit of etcd's gofail or TiKV's fail-rs): when the environment
 * variable VITALE_FAILPOINT names a point, the process is killed there with SIGKILL (no clean-up at all, as a
 * power cut or an OOM kill would). Never set in production; a no-op otherwise.
 */
export function failpoint(name: string): void {
  if (process.env.VITALE_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
