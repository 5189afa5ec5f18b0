import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

describe('operations endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reports the database and the job queue up', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok', checks: { database: 'up', jobs: 'up' } });
  });

  it('serves the OpenAPI description', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toContain('/v1/partners');
  });

  it('serves Prometheus metrics to operators only', async () => {
    await t.http().get('/metrics').expect(401);
    const res = await t.http().get('/metrics').set(bearer(t.operatorKey)).expect(200);
    expect(res.text).toContain('http_request_duration_seconds');
    expect(res.text).toMatch(/job_queue_size\{job="register.bulk-import"\} \d+/);
  });

  it('answers unknown routes with a problem document', async () => {
    const res = await t.http().get('/v1/no-such-thing').set(bearer(t.operatorKey)).expect(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('NOT_FOUND');
  });
});
