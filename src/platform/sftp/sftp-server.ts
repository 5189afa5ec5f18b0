import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import ssh2, { type AuthContext, type Connection, type ParsedKey, type Server } from 'ssh2';
import { AppConfig } from '../../config/app-config.js';
import type { SftpAccount, SftpAccountProvider } from './sftp-account.js';
import { SftpFolders } from './sftp-folders.js';
import { SftpHostKey } from './sftp-host-key.js';
import { SftpSession, type SftpSessionContext } from './sftp-session.js';

interface Resolved { account: SftpAccount; provider: SftpAccountProvider }

/** Failed authentication attempts after which a connection is dropped. */
const MAX_AUTH_ATTEMPTS = 6;
/** An idle connection (no traffic) is closed after this. */
const IDLE_TIMEOUT_MS = 10 * 60_000;

/**
 * The built-in SFTP server (ssh2): public-key authentication only, the SFTP subsystem only (no shell, exec or
 * forwarding), each user jailed in its folders. Users come from registered providers (vendors now, opposition
 * list concentrators later). Starts with the application on SFTP_PORT (0 = any free port, see `port`), stops
 * with it.
 */
@Injectable()
export class SftpServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('sftp');
  private readonly providers: SftpAccountProvider[] = [];
  private readonly connections = new Set<Connection>();
  private server: Server | null = null;
  private boundPort: number | null = null;

  constructor(private readonly config: AppConfig, private readonly hostKey: SftpHostKey, private readonly folders: SftpFolders) {}

  /** Called by each provider at module init. */
  register(provider: SftpAccountProvider): void {
    if (!this.providers.includes(provider)) this.providers.push(provider);
  }

  /** The port the server listens on (the real one when SFTP_PORT is 0), or null when it is not listening. */
  port(): number | null {
    return this.boundPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.sftpEnabled) return;
    const server = new ssh2.Server({ hostKeys: [this.hostKey.load()], ident: 'vitale-sftp' }, (client, info) => this.accept(client, info.ip));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.config.sftpPort, this.config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      // Another instance on this host holds the port: this one still serves the API and runs jobs (files are
      // shared through DATA_DIR). Any other bind error stops the start.
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        this.logger.error({ msg: 'SFTP port in use: this instance serves no SFTP', port: this.config.sftpPort });
        return;
      }
      throw e;
    }
    server.on('error', (err: Error) => this.logger.error({ msg: 'sftp server error', err: err.message }));
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.logger.log({ msg: 'sftp listening', port: this.boundPort });
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.boundPort = null;
    for (const c of this.connections) c.end();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Connection, ip: string): void {
    // Nagle's algorithm holds SFTP's small packets back (790 ms instead of 6 ms for 160 KB).
    (client as Connection & { setNoDelay(on: boolean): void }).setNoDelay(true);
    this.connections.add(client);
    let session: SftpSessionContext | null = null;
    let failures = 0;
    const sock = (client as unknown as { _sock?: { setTimeout?: (ms: number, cb: () => void) => void } })._sock;
    sock?.setTimeout?.(IDLE_TIMEOUT_MS, () => client.end());

    client.on('authentication', (ctx: AuthContext) => {
      this.authenticate(ctx)
        .then(async (found) => {
          if (found === 'pending') return;
          if (found) {
            // Everything the session needs is ready before the log-in is accepted, so that the SFTP subsystem
            // can be accepted the moment it is asked for.
            session = await this.openSftp(found.account, found.provider).catch((err: unknown) => {
              this.logger.error({ msg: 'sftp session refused', login: found.account.login, err: (err as Error).message });
              return null;
            });
            return ctx.accept();
          }
          failures += 1;
          ctx.reject(['publickey']);
          if (failures >= MAX_AUTH_ATTEMPTS) client.end();
        })
        .catch((err: unknown) => {
          this.logger.error({ msg: 'sftp authentication failed', err: (err as Error).message });
          ctx.reject(['publickey']);
        });
    });

    client.on('ready', () => {
      this.logger.log({ msg: 'sftp session', login: session?.account.login, partnerId: session?.account.partnerId, ip });
    });

    // ssh2 refuses channels before authentication.
    client.on('session', (acceptSession, rejectSession) => {
      const ctx = session;
      if (!ctx) {
        rejectSession();
        client.end();
        return;
      }
      acceptSession().on('sftp', (acceptSftp) => {
        // Accepted at once, never after an await: OpenSSH sends its INIT right behind the subsystem request and
        // ssh2 drops channel data that arrives before accept(), which left `sftp` waiting forever.
        new SftpSession(acceptSftp(), ctx);
      });
    });

    client.on('error', (err: Error) => this.logger.warn({ msg: 'sftp connection error', err: err.message }));
    client.on('close', () => this.connections.delete(client));
  }

  /**
   * Public-key authentication: the key must be one of the account's (not revoked, partner active), and when the
   * client sends a signature it must verify against that key for this session. Without a signature the client
   * only asks whether the key would do ('pending' here = accept as a probe, ssh2 answers PK_OK).
   */
  private async authenticate(ctx: AuthContext): Promise<Resolved | null | 'pending'> {
    if (ctx.method !== 'publickey') return null;
    const found = await this.findAccount(ctx.username);
    if (!found) return null;
    const key = found.account.publicKeys.map(parsePublicKey).find((k) => k && sameBlob(k.getPublicSSH(), ctx.key.data));
    if (!key) return null;
    if (!ctx.signature || !ctx.blob) {
      ctx.accept();
      return 'pending';
    }
    return key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true ? found : null;
  }

  private async findAccount(login: string): Promise<Resolved | null> {
    for (const provider of this.providers) {
      const account = await provider.findAccount(login);
      if (account) return { account, provider };
    }
    return null;
  }

  private async openSftp(account: SftpAccount, provider: SftpAccountProvider): Promise<SftpSessionContext> {
    await this.folders.ensure(account.login, Object.keys(account.folders));
    const folderDirs: Record<string, string> = {};
    for (const f of Object.keys(account.folders)) {
      const real = await this.folders.realFolder(account.login, f);
      if (real) folderDirs[f] = real;
      else this.logger.error({ msg: 'sftp folder is not a plain directory inside the SFTP tree: hidden', login: account.login, folder: f });
    }
    return {
      account,
      folderDirs,
      onFileReceived: (folder: string, name: string) => provider.fileReceived(account, folder, name),
      onError: (op: string, err: unknown) => this.logger.error({ msg: 'sftp operation failed', op, login: account.login, err: (err as Error)?.message }),
    };
  }

}

function parsePublicKey(line: string): ParsedKey | null {
  const k = ssh2.utils.parseKey(line);
  return k instanceof Error ? null : Array.isArray(k) ? (k[0] as ParsedKey) : k;
}

function sameBlob(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
