import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_PARTNER_KINDS, PartnerKind } from '../src/partners/partner-kind.enum.js';
import { readRoutePolicies } from '../src/platform/auth/route-policies.js';
import { discoverRoutes, type RouteInfo } from './support/routes.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const concrete = (path: string) =>
  path.replace(/:(\w+)/g, (_, name: string) =>
    /serial/i.test(name) ? '100000000001' : /code/i.test(name) ? '017510001' : '00000000-0000-4000-8000-000000000000',
  );

function call(t: TestApp, r: RouteInfo) {
  const m = r.method.toLowerCase() as 'get' | 'post' | 'patch' | 'put' | 'delete';
  return t.http()[m](concrete(r.path));
}

describe('authentication and partner kinds on every route', () => {
  let t: TestApp;
  const registered: { method: string; url: string }[] = [];
  const keys = new Map<PartnerKind, string>();
  let routes: RouteInfo[];

  beforeAll(async () => {
    t = await startTestApp(
      {},
      {
        beforeInit: (app) =>
          app
            .getHttpAdapter()
            .getInstance()
            .addHook('onRoute', (r: { method: string | string[]; url: string }) => {
              for (const method of ([] as string[]).concat(r.method)) registered.push({ method, url: r.url });
            }),
      },
    );
    for (const kind of ALL_PARTNER_KINDS) {
      keys.set(kind, (await t.partner(kind, kind === PartnerKind.Fund ? '017510001' : undefined)).key);
    }
    routes = discoverRoutes(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('discovers every HTTP route the server registered (nothing escapes the check)', () => {
    // The console's routes are checked by test/console-http.test.ts; its DSFR files are the one public exemption.
    const fromNest = new Set([
      ...routes.map((r) => `${r.method} ${r.path}`),
      ...[...readRoutePolicies(t.app).values()].filter((p) => p.console).map((p) => `${p.method} ${p.path}`),
    ]);
    const fromFastify = registered
      .filter((r) => r.method !== 'HEAD' && !r.url.startsWith('/docs') && r.url !== '/console/dsfr/*')
      .map((r) => `${r.method} ${r.url}`);
    expect(fromFastify.length).toBeGreaterThan(5);
    for (const r of fromFastify) expect(fromNest, r).toContain(r);
  });

  it('has only health as a public API route', () => {
    expect(
      routes
        .filter((r) => r.isPublic)
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    ).toEqual(['GET /health', 'POST /v1/photo-uploads/:token']);
  });

  it('refuses every non-public route without a credential (401, problem+json, AUTH_REQUIRED)', async () => {
    for (const r of routes.filter((x) => !x.isPublic)) {
      const res = await call(t, r);
      expect(res.status, r.name).toBe(401);
      expect(res.headers['content-type'], r.name).toMatch(/application\/problem\+json/);
      expect(res.body.code, r.name).toBe('AUTH_REQUIRED');
      expect(res.headers['www-authenticate'], r.name).toMatch(/^Bearer/);
    }
  });

  it('refuses a malformed, an unknown and a revoked key (401 AUTH_INVALID)', async () => {
    const me = routes.find((r) => r.path === '/v1/me')!;
    for (const key of ['nonsense', 'vk_000000000000_' + 'A'.repeat(43)]) {
      const res = await call(t, me).set(bearer(key));
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('AUTH_INVALID');
    }
    const p = await t.partner(PartnerKind.Kiosk);
    await t.http().get('/v1/me').set(bearer(p.key)).expect(200);
    const detail = await t.http().get(`/v1/partners/${p.id}`).set(bearer(t.operatorKey)).expect(200);
    await t
      .http()
      .delete(`/v1/partners/${p.id}/api-keys/${detail.body.apiKeys[0].id}`)
      .set(bearer(t.operatorKey))
      .expect(200);
    const res = await t.http().get('/v1/me').set(bearer(p.key));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('AUTH_INVALID');
  });

  it('refuses every route to each partner kind it does not allow (403 PARTNER_KIND_FORBIDDEN)', async () => {
    let checked = 0;
    for (const r of routes.filter((x) => !x.isPublic)) {
      expect(r.allowed.length, `${r.name} has an access policy`).toBeGreaterThan(0);
      for (const kind of ALL_PARTNER_KINDS.filter((k) => !r.allowed.includes(k))) {
        const res = await call(t, r).set(bearer(keys.get(kind)!));
        expect(res.status, `${r.name} as ${kind}`).toBe(403);
        expect(res.body.code, `${r.name} as ${kind}`).toBe('PARTNER_KIND_FORBIDDEN');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('rate-limits every route kiosks and pharmacy software may call', () => {
    // Open to every partner and cheap (who am I, public keys, reference data): not the pharmacies' workload.
    const SHARED = /^\/v1\/(me|signing-keys|regimes|funds|organismes)\b/;
    const exposed = routes.filter(
      (r) =>
        (r.allowed.includes(PartnerKind.Kiosk) || r.allowed.includes(PartnerKind.PharmacySoftware)) &&
        !SHARED.test(r.path),
    );
    expect(exposed.length).toBeGreaterThan(2);
    for (const r of exposed) expect(r.rateLimited, `${r.method} ${r.path}`).toBe(true);
  });

  it('lets an allowed kind through the guard', async () => {
    for (const kind of ALL_PARTNER_KINDS) {
      const res = await t
        .http()
        .get('/v1/me')
        .set(bearer(keys.get(kind)!))
        .expect(200);
      expect(res.body.kind).toBe(kind);
    }
  });
});
