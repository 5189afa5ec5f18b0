import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface OpenSshRun {
  /** Exit code, or null when the program was killed. */
  code: number | null;
  /** true when it did not exit by itself within the timeout and was killed. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/**
 * Runs OpenSSH's `sftp` in batch mode (`sftp -b`), as a partner's script would, against the built-in server.
 * The private key is written to a private temporary folder with mode 0600 (OpenSSH refuses others); the folder
 * goes when the run ends. Killed after `timeoutMs`: a hang shows as `timedOut`, never as a stuck test.
 */
export async function openSshSftp(o: {
  port: number;
  login: string;
  privateKey: string;
  /** Batch lines (`get`, `put`, `rename`, `ls`, `bye`...); a failing line stops the batch with exit code 1. */
  commands: string[];
  /** Local working folder (relative `get`/`put` paths). */
  cwd: string;
  timeoutMs?: number;
  /** known_hosts lines: the host key is then checked (StrictHostKeyChecking=yes), as partners should. */
  knownHosts?: string[];
  /** OpenSSH's LogLevel: ERROR by default (no "Permanently added" notice); INFO shows why a channel was refused. */
  logLevel?: 'ERROR' | 'INFO';
}): Promise<OpenSshRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vitale-openssh-'));
  try {
    const key = path.join(dir, 'id_ed25519');
    writeFileSync(key, o.privateKey.endsWith('\n') ? o.privateKey : o.privateKey + '\n', { mode: 0o600 });
    chmodSync(key, 0o600);
    const batch = path.join(dir, 'batch');
    writeFileSync(batch, o.commands.join('\n') + '\n');
    let hostKeyOptions = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'];
    if (o.knownHosts) {
      const file = path.join(dir, 'known_hosts');
      writeFileSync(file, o.knownHosts.join('\n') + '\n');
      hostKeyOptions = ['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${file}`];
    }
    const args = [
      '-b',
      batch,
      // No user or system configuration, no agent, no other key: the run depends on nothing of the machine's.
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      ...hostKeyOptions,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'IdentityAgent=none',
      '-o',
      `LogLevel=${o.logLevel ?? 'ERROR'}`,
      '-i',
      key,
      '-P',
      String(o.port),
      `${o.login}@127.0.0.1`,
    ];
    return await new Promise<OpenSshRun>((resolve, reject) => {
      // Its own process group: sftp runs ssh as a child, and a kill must take both (ssh holds the output pipes).
      const child = spawn('sftp', args, {
        cwd: o.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        env: { ...process.env, SSH_AUTH_SOCK: '' },
      });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, o.timeoutMs ?? 30_000);
      child.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          err.code === 'ENOENT'
            ? new Error("OpenSSH's sftp is not installed: apt-get install openssh-client (.ci/run does it)")
            : err,
        );
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, timedOut, stdout, stderr });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
