import { Logger } from '@nestjs/common';
import pg from 'pg';

const logger = new Logger('database');

/**
 * A connection of its own, outside the pools (a COPY stream, a snapshot shared with a second connection), connected.
 * A pg.Client with no 'error' listener takes the whole process down when the server ends its session between two
 * statements (a restart, an administrator's pg_terminate_backend, a network cut): here the loss is logged and the
 * next statement on the client fails, which its caller handles like any other database error.
 */
export async function ownConnection(url: string, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  client.on('error', (err) =>
    logger.warn({ msg: 'a database connection of its own was lost', applicationName, err: err.message }),
  );
  await client.connect();
  return client;
}
