import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import ssh2, { type AuthContext, type Connection, type ParsedKey, type Server } from 'ssh2';
import { AppConfig } from '../../config/app-config.js';
import { BusinessMetrics } from '../metrics/business-metrics.js';
import type { SftpAccount, SftpAccountProvider } from './sftp-account.js';
import { SftpAudit, type SftpRefusalReason } from './sftp-audit.js';
import { SftpFolders } from './sftp-folders.js';
import { SftpHostKey } from './sftp-host-key.js';
import { SftpSession, type SftpSessionContext } from './sftp-session.js';
import { SftpWriteQuota } from './sftp-write-quota.js';

interface Resolved {
  account: SftpAccount;
  provider: SftpAccountProvider;
}

/** What the server knows of one connection. */
interface ConnectionState {
  /** `sftp-` + 12 hex digits: the requestId of the connection's audit entries and a key to its log lines. */
  id: string;
  ip: string;
  /** The account once its key signed (the log-in is then accepted, even when the session will be refused). */
  account: SftpAccount | null;
  /** Ready before the log-in was accepted, so the SFTP subsystem can be accepted the moment it is asked for. */
  session: SftpSessionContext | null;
  /** Why a logged-in connection gets no session: told to the client when it opens its channel. */
  refusal: { code: number; message: string } | null;
  holdsSlot: boolean;
  /** Set when the connection closed: a log-in still being checked then takes no slot (it would never be freed). */
  closed: boolean;
  channelOpen: boolean;
  failures: number;
  /** Closes the connection when the client has asked nothing for SFTP_IDLE_SECONDS (refreshed by each request). */
  idle: NodeJS.Timeout | null;
  /** The last refused attempt, audited when the connection ends without a log-in. */
  lastRefusal: { login: string; reason: SftpRefusalReason } | null;
}

/** Per account on this instance: its open sessions and the quota they share. */
interface AccountUsage {
  sessions: number;
  quota: SftpWriteQuota;
}

/** Failed authentication attempts after which a connection is dropped. */
const MAX_AUTH_ATTEMPTS = 6;
/** RFC 4254 channel open failure reasons. */
const OPEN_FAILURE = { ADMINISTRATIVELY_PROHIBITED: 1, CONNECT_FAILED: 2, RESOURCE_SHORTAGE: 4 } as const;

/**
 * The built-in SFTP server (ssh2): public-key authentication only, the SFTP subsystem only (no shell, exec or
 * forwarding), each user jailed in its folders. Users come from registered providers (vendors, opposition list
 * concentrators). Starts with the application on SFTP_PORT (0 = any free port, see `port`), stops with it.
 *
 * Limits: SFTP_MAX_SESSIONS connections per account at once on this instance, one SFTP session per connection,
 * SFTP_INBOX_QUOTA_BYTES in an account's write folders. Audited: log-ins, refused log-ins, downloads.
 */
@Injectable()
export class SftpServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('sftp');
  private readonly providers: SftpAccountProvider[] = [];
  private readonly connections = new Set<Connection>();
  private readonly usage = new Map<string, AccountUsage>();
  /** Audit writes not tied to a client request (refused log-ins): awaited at shutdown. */
  private readonly auditing = new Set<Promise<void>>();
  private server: Server | null = null;
  private boundPort: number | null = null;
  private stopping = false;

  constructor(
    private readonly config: AppConfig,
    private readonly hostKey: SftpHostKey,
    private readonly folders: SftpFolders,
    private readonly audit: SftpAudit,
    private readonly metrics: BusinessMetrics,
  ) {}

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
    const server = new ssh2.Server({ hostKeys: [this.hostKey.load()], ident: 'vitale-sftp' }, (client, info) =>
      this.accept(client, info.ip),
    );
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
    this.stopping = true;
    this.server = null;
    this.boundPort = null;
    for (const c of this.connections) c.end();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.allSettled([...this.auditing]);
  }

  private accept(client: Connection, ip: string): void {
    // Nagle's algorithm holds SFTP's small packets back (790 ms instead of 6 ms for 160 KB).
    (client as Connection & { setNoDelay(on: boolean): void }).setNoDelay(true);
    this.connections.add(client);
    const conn: ConnectionState = {
      id: `sftp-${randomBytes(6).toString('hex')}`,
      ip,
      account: null,
      session: null,
      refusal: null,
      holdsSlot: false,
      closed: false,
      channelOpen: false,
      failures: 0,
      lastRefusal: null,
      idle: null,
    };
    // Idle is measured in the client's requests, not in traffic: ssh2 pings the client every 15 s (keep-alive), so a
    // socket timeout never fired and a forgotten session held one of the account's SFTP_MAX_SESSIONS places for ever.
    conn.idle = setTimeout(() => {
      this.logger.log({ msg: 'sftp connection idle: closed', connection: conn.id, login: conn.account?.login });
      client.end();
    }, this.config.sftpIdleSeconds * 1000);
    conn.idle.unref();

    client.on('authentication', (ctx: AuthContext) => {
      this.authenticate(ctx)
        .then(async (outcome) => {
          if (outcome === 'probe') return;
          if ('found' in outcome) {
            await this.logIn(conn, outcome.found);
            return ctx.accept();
          }
          conn.failures += 1;
          if (outcome.reason) conn.lastRefusal = { login: ctx.username, reason: outcome.reason };
          ctx.reject(['publickey']);
          if (conn.failures >= MAX_AUTH_ATTEMPTS) client.end();
        })
        .catch((err: unknown) => {
          this.logger.error({ msg: 'sftp authentication failed', connection: conn.id, err: (err as Error).message });
          ctx.reject(['publickey']);
        });
    });

    client.on('ready', () => {
      this.logger.log({
        msg: 'sftp session',
        connection: conn.id,
        login: conn.account?.login,
        partnerId: conn.account?.partnerId,
        ip,
        refused: conn.refusal !== null,
      });
    });

    // ssh2 refuses channels before authentication: from here on, conn.account is set.
    client.on('session', (acceptSession, rejectSession) => {
      const ctx = conn.session;
      if (!ctx) {
        const refusal = conn.refusal ?? { code: OPEN_FAILURE.CONNECT_FAILED, message: 'No session' };
        rejectChannel(client, rejectSession, refusal.code, refusal.message);
        client.end();
        return;
      }
      if (conn.channelOpen) {
        rejectChannel(
          client,
          rejectSession,
          OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED,
          'One SFTP session per connection: open another connection',
        );
        return;
      }
      conn.channelOpen = true;
      const session = acceptSession();
      session.once('close', () => (conn.channelOpen = false));
      session.on('sftp', (acceptSftp) => {
        // Accepted at once, never after an await: OpenSSH sends its INIT right behind the subsystem request and
        // ssh2 drops channel data that arrives before accept(), which left `sftp` waiting forever.
        new SftpSession(acceptSftp(), ctx);
      });
    });

    client.on('error', (err: Error) =>
      this.logger.warn({ msg: 'sftp connection error', connection: conn.id, err: err.message }),
    );
    client.on('close', () => {
      conn.closed = true;
      if (conn.idle) clearTimeout(conn.idle);
      this.connections.delete(client);
      if (conn.holdsSlot && conn.account) this.releaseSlot(conn.account.login);
      if (!conn.account && conn.lastRefusal && !this.stopping) {
        const { login, reason } = conn.lastRefusal;
        this.logger.warn({ msg: 'sftp log-in refused', connection: conn.id, ip, reason, attempts: conn.failures });
        this.metrics.sftpSessions.inc({ result: 'refused' });
        this.track(this.audit.refused({ connectionId: conn.id, ip, login, reason, attempts: conn.failures }));
      }
    });
  }

  /**
   * The client proved its key: everything its session needs is done now, before the log-in is accepted (a
   * session slot, the folders, the audit entry), so that the SFTP subsystem is accepted synchronously later.
   * A refusal here still accepts the log-in; the channel open then fails with the reason, which clients print.
   */
  private async logIn(conn: ConnectionState, { account, provider }: Resolved): Promise<void> {
    conn.account = account;
    if (conn.closed) return;
    const usage = this.takeSlot(account.login);
    if (!usage) {
      const limit = this.config.sftpMaxSessions;
      conn.refusal = {
        code: OPEN_FAILURE.RESOURCE_SHORTAGE,
        message: `Too many SFTP sessions for ${account.login}: at most ${limit} at once (SFTP_MAX_SESSIONS); end one and try again`,
      };
      this.logger.warn({
        msg: 'sftp session refused: session limit',
        connection: conn.id,
        login: account.login,
        limit,
      });
      await this.audit
        .refused({
          connectionId: conn.id,
          ip: conn.ip,
          login: account.login,
          reason: 'session_limit',
          attempts: conn.failures + 1,
          account,
          limit,
        })
        .catch((err: unknown) =>
          this.logger.error({ msg: 'sftp audit failed', connection: conn.id, err: (err as Error).message }),
        );
      return;
    }
    conn.holdsSlot = true;
    try {
      const ctx = await this.openSftp(conn, account, provider, usage.quota);
      await this.audit.login(account, conn.id, conn.ip);
      conn.session = ctx;
    } catch (err) {
      this.logger.error({
        msg: 'sftp session refused',
        connection: conn.id,
        login: account.login,
        err: (err as Error).message,
      });
      conn.refusal = {
        code: OPEN_FAILURE.CONNECT_FAILED,
        message: 'The server could not open your session; try again later',
      };
      await this.audit
        .refused({
          connectionId: conn.id,
          ip: conn.ip,
          login: account.login,
          reason: 'server_error',
          attempts: conn.failures + 1,
          account,
        })
        .catch(() => undefined);
    }
  }

  private takeSlot(login: string): AccountUsage | null {
    const usage = this.usage.get(login) ?? { sessions: 0, quota: new SftpWriteQuota(this.config.sftpInboxQuotaBytes) };
    if (usage.sessions >= this.config.sftpMaxSessions) return null;
    usage.sessions += 1;
    this.metrics.sftpSessionsOpen.inc();
    this.metrics.sftpSessions.inc({ result: 'opened' });
    this.usage.set(login, usage);
    return usage;
  }

  private releaseSlot(login: string): void {
    const usage = this.usage.get(login);
    if (!usage) return;
    usage.sessions -= 1;
    this.metrics.sftpSessionsOpen.dec();
    if (usage.sessions <= 0) this.usage.delete(login);
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) =>
      this.logger.error({ msg: 'sftp audit failed', err: (err as Error).message }),
    );
    this.auditing.add(tracked);
    void tracked.finally(() => this.auditing.delete(tracked));
  }

  /**
   * Public-key authentication: the key must be one of the account's (not revoked, partner active), and when the
   * client sends a signature it must verify against that key for this session. Without a signature the client
   * only asks whether the key would do ('probe' here = answered PK_OK).
   */
  private async authenticate(
    ctx: AuthContext,
  ): Promise<'probe' | { found: Resolved } | { reason: SftpRefusalReason | null }> {
    // 'none' is how clients ask which methods exist: not an attempt.
    if (ctx.method === 'none') return { reason: null };
    if (ctx.method !== 'publickey') return { reason: 'method_not_allowed' };
    const found = await this.findAccount(ctx.username);
    if (!found) return { reason: 'unknown_login' };
    const key = found.account.publicKeys.map(parsePublicKey).find((k) => k && sameBlob(k.getPublicSSH(), ctx.key.data));
    if (!key) return { reason: 'key_not_registered' };
    if (!ctx.signature || !ctx.blob) {
      ctx.accept();
      return 'probe';
    }
    return key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true ? { found } : { reason: 'signature_invalid' };
  }

  private async findAccount(login: string): Promise<Resolved | null> {
    for (const provider of this.providers) {
      const account = await provider.findAccount(login);
      if (account) return { account, provider };
    }
    return null;
  }

  private async openSftp(
    conn: ConnectionState,
    account: SftpAccount,
    provider: SftpAccountProvider,
    quota: SftpWriteQuota,
  ): Promise<SftpSessionContext> {
    await this.folders.ensure(account.login, Object.keys(account.folders));
    const folderDirs: Record<string, string> = {};
    for (const f of Object.keys(account.folders)) {
      const real = await this.folders.realFolder(account.login, f);
      if (real) folderDirs[f] = real;
      else
        this.logger.error({
          msg: 'sftp folder is not a plain directory inside the SFTP tree: hidden',
          login: account.login,
          folder: f,
        });
    }
    return {
      account,
      folderDirs,
      quota,
      onFileReceived: (folder: string, name: string) => provider.fileReceived(account, folder, name),
      onDownload: (folder: string, name: string, bytes: number) =>
        this.audit.download(account, conn.id, folder, name, bytes),
      onActivity: () => conn.idle?.refresh(),
      onError: (op: string, err: unknown) =>
        this.logger.error({
          msg: 'sftp operation failed',
          op,
          connection: conn.id,
          login: account.login,
          err: (err as Error)?.message,
        }),
    };
  }
}

/**
 * Refuses a channel with a description. ssh2's reject() always sends an empty one; OpenSSH prints the
 * description ("channel 0: open failed: resource shortage: Too many SFTP sessions…"), so the partner reads why.
 * Falls back to the plain reject when ssh2's internals are not what this expects.
 */
function rejectChannel(client: Connection, reject: () => void, code: number, message: string): void {
  type Proto = { channelOpenFail?: (recipient: number, reason: number, desc: string) => void };
  const proto = (client as unknown as { _protocol?: Proto })._protocol;
  const original = proto?.channelOpenFail;
  if (!proto || typeof original !== 'function') return reject();
  proto.channelOpenFail = (recipient: number) => original.call(proto, recipient, code, message);
  try {
    reject();
  } finally {
    proto.channelOpenFail = original;
  }
}

function parsePublicKey(line: string): ParsedKey | null {
  const k = ssh2.utils.parseKey(line);
  return k instanceof Error ? null : Array.isArray(k) ? (k[0] as ParsedKey) : k;
}

function sameBlob(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
