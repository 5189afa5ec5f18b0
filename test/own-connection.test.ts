import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownConnection } from '../src/platform/database/own-connection.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * A connection of the product's own outside the pools (the opposition list's COPY and its count) whose session the
 * server ends between two statements: without an 'error' listener node-postgres raises an unhandled 'error' event
 * and the process dies (here, the test run reports the unhandled error and fails).
 */
describe('a connection of its own', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('survives the server ending its session while idle; its next statement fails as a database error', async () => {
    const client = await ownConnection(t.url, 'vitale-test-own');
    const {
      rows: [{ pid }],
    } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const admin = new pg.Client({ connectionString: t.ownerUrl });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
    await new Promise((r) => setTimeout(r, 300));
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await client.end().catch(() => undefined);
  });
});
