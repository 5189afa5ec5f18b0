import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createReadStream, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AppModule } from '../app.module.js';
import { type AppConfig, ConfigError, loadConfig } from '../config/app-config.js';
import { AgentsService } from '../console/agents/agents.service.js';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import { PartnersService } from '../partners/partners.service.js';
import { cliActor } from '../platform/auth/actor.js';
import { setupScript, type SetupNames } from '../platform/database/grants.js';
import { migrate } from '../platform/database/migrate.js';
import { resolveDatabase } from '../platform/database/resolve-database.js';
import { DomainError } from '../platform/errors/domain-error.js';
import { JsonLogger, createLogger } from '../platform/logging/logger.js';
import { RegimesService } from '../regimes/regimes.service.js';
import { CardBaseImportsService } from '../takeover/card-base-imports.service.js';

const USAGE = `Operator commands (npm run cli -- <command> [options]):
  partner:create   --kind <${Object.values(PartnerKind).join('|')}> --name <name> [--organisme <9 digits>]
  api-key:create   --partner <partner id> [--label <label>]     prints the key once
  api-key:revoke   --partner <partner id> --key <api key id>
  operator:create  --name <name>                                a new operator and its first key
  partners:list    [--kind <kind>]
  console:agent:create --login <login> --name <display name> [--partner <operator or fund partner id>]
                                                                a console agent (default partner: the first operator);
                                                                prints its one-time password and TOTP enrolment once
  regimes:load     --file <organismes.csv>                      reference data, all or nothing
  card-base:import --file <card-base file, plain or .gz> [--land-only]
                                                                import the card base of the system replaced
                                                                (card-base/1; sending it again resumes or changes nothing):
                                                                lands the file's lines, then moves them into the card
                                                                base; --land-only leaves that to the app's job
  card-base:materialise --import <import id>                    move an import's landed lines into the card base now
  migrate                                                       apply pending migrations (as the owner)
  db:grants        [--owner-role <role>] [--app-role <role>] [--database <name>]
                                                                prints the SQL that sets up an external PostgreSQL
                                                                (roles, database, schemas; the rights the app gets)
The database is the app's: DATABASE_URL (DATABASE_OWNER_URL for migrations), or the embedded one under DATA_DIR
(joined if the app runs).`;

type Opts = Record<string, string | undefined>;

function need(opts: Opts, name: string): string {
  const v = opts[name];
  if (!v) throw new UsageError(`--${name} is required`);
  return v;
}

class UsageError extends Error {}

export async function runCli(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s + '\n'),
): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    out(USAGE);
    return command ? 0 : 2;
  }
  let opts: Opts;
  try {
    opts = parseArgs({
      args: rest,
      options: {
        kind: { type: 'string' },
        name: { type: 'string' },
        organisme: { type: 'string' },
        partner: { type: 'string' },
        label: { type: 'string' },
        key: { type: 'string' },
        file: { type: 'string' },
        login: { type: 'string' },
        'owner-role': { type: 'string' },
        'app-role': { type: 'string' },
        database: { type: 'string' },
        import: { type: 'string' },
        'land-only': { type: 'boolean' },
      },
      strict: true,
    }).values as Opts;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  // Needs no database: it prints what an administrator runs before there is one.
  if (command === 'db:grants') {
    try {
      out(setupScript(setupNames(config, opts)));
      return 0;
    } catch (e) {
      if (e instanceof UsageError) {
        process.stderr.write(`${e.message}\n\n${USAGE}\n`);
        return 2;
      }
      throw e;
    }
  }
  // What the database set-up has to say (a cluster joined on another port, adopted, initialised) goes to stderr: stdout
  // carries the command's JSON only.
  const db = await resolveDatabase(config, (m) => process.stderr.write(`${m}\n`));
  try {
    await migrate(db);
    if (command === 'migrate') {
      out('migrations applied');
      return 0;
    }
    const ctxConfig = Object.assign(Object.create(Object.getPrototypeOf(config)), config, {
      workersEnabled: false,
      cronsEnabled: false,
      sftpEnabled: false,
      seedReferenceData: true,
    });
    const app = await NestFactory.createApplicationContext(AppModule.forRoot(ctxConfig, db.url), {
      logger: new JsonLogger(createLogger('warn')),
    });
    try {
      await app.init();
      const partners = app.get(PartnersService);
      const actor = cliActor();
      switch (command) {
        case 'partner:create': {
          const kind = need(opts, 'kind') as PartnerKind;
          if (!Object.values(PartnerKind).includes(kind))
            throw new UsageError(`--kind must be one of ${Object.values(PartnerKind).join(', ')}`);
          const p = await partners.createPartner(actor, {
            kind,
            name: need(opts, 'name'),
            organismeCode: opts.organisme,
          });
          out(JSON.stringify(p));
          return 0;
        }
        case 'api-key:create': {
          const k = await partners.createApiKey(actor, need(opts, 'partner'), opts.label);
          out(JSON.stringify(k));
          return 0;
        }
        case 'api-key:revoke': {
          out(JSON.stringify(await partners.revokeApiKey(actor, need(opts, 'partner'), need(opts, 'key'))));
          return 0;
        }
        case 'operator:create': {
          const p = await partners.createPartner(actor, { kind: PartnerKind.Operator, name: need(opts, 'name') });
          const k = await partners.createApiKey(actor, p.id, 'created by operator:create');
          out(JSON.stringify({ partner: p, apiKey: k }));
          return 0;
        }
        case 'partners:list': {
          for (const p of await partners.list(opts.kind as PartnerKind | undefined)) out(JSON.stringify(p));
          return 0;
        }
        case 'console:agent:create': {
          const agents = app.get(AgentsService);
          const partnerId = opts.partner ?? (await agents.firstOperatorPartnerId());
          if (!partnerId)
            throw new UsageError('no operator partner yet: give --partner, or create one (operator:create)');
          const created = await agents.create(actor, {
            partnerId,
            login: need(opts, 'login'),
            displayName: need(opts, 'name'),
          });
          out(JSON.stringify(created));
          return 0;
        }
        case 'regimes:load': {
          const res = await app.get(RegimesService).load(actor, readFileSync(need(opts, 'file'), 'utf8'));
          out(JSON.stringify(res));
          return 0;
        }
        case 'card-base:import': {
          // Streamed from the file: memory holds one chunk, whatever the file's size.
          const imports = app.get(CardBaseImportsService);
          const sent = await imports.importFile(actor, createReadStream(need(opts, 'file')));
          if (opts['land-only']) {
            out(JSON.stringify(sent));
            return 0;
          }
          const done = await imports.materialise(sent.id, actor);
          out(JSON.stringify({ ...done, chunksSkipped: sent.chunksSkipped, chunksCommitted: sent.chunksCommitted }));
          return 0;
        }
        case 'card-base:materialise': {
          out(JSON.stringify(await app.get(CardBaseImportsService).materialise(need(opts, 'import'), actor)));
          return 0;
        }
        default:
          throw new UsageError(`unknown command ${command}`);
      }
    } finally {
      await app.close();
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof DomainError) {
      process.stderr.write(`${e.code}: ${e.message}\n`);
      if (e.details?.errors)
        for (const err of e.details.errors as unknown[]) process.stderr.write(`  ${JSON.stringify(err)}\n`);
      return 1;
    }
    throw e;
  } finally {
    await db.stop();
  }
}

/** Role and database names: the options, else those of DATABASE_URL / DATABASE_OWNER_URL, else the defaults. */
function setupNames(config: AppConfig, opts: Opts): SetupNames {
  const app = config.databaseUrl ? new URL(config.databaseUrl) : null;
  const owner = config.databaseOwnerUrl ? new URL(config.databaseOwnerUrl) : null;
  const names = {
    ownerRole: opts['owner-role'] ?? (owner?.username ? decodeURIComponent(owner.username) : 'vitale_owner'),
    appRole: opts['app-role'] ?? (app?.username ? decodeURIComponent(app.username) : 'vitale_app'),
    database: opts.database ?? (app && app.pathname.length > 1 ? decodeURIComponent(app.pathname.slice(1)) : 'vitale'),
  };
  for (const [option, value] of [
    ['owner-role', names.ownerRole],
    ['app-role', names.appRole],
    ['database', names.database],
  ]) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value))
      throw new UsageError(`--${option} must be a lower-case PostgreSQL name (letters, digits, _)`);
  }
  if (names.ownerRole === names.appRole) throw new UsageError('the owner and the application need two different roles');
  return names;
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(
        e instanceof ConfigError ? `${e.message}\n` : `${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exit(1);
    },
  );
}
