import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/app-config.js';
import { UPLOAD_LINK_REQUESTS_PER_MINUTE } from '../src/photo/upload-link-rate.guard.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('X-Forwarded-For is believed only from configured proxies', () => {
  const link = `/v1/photo-uploads/${'C'.repeat(43)}`;
  const upload = (t: TestApp, forwardedFor: string) =>
    t.http().post(link).set('X-Forwarded-For', forwardedFor).attach('file', Buffer.from('x'), 'me.jpg');
  const inOneMinute = async () => {
    // The limiter's windows are calendar minutes: start well inside one.
    const into = Date.now() % 60_000;
    if (into > 45_000) await new Promise((r) => setTimeout(r, 60_000 - into + 200));
  };

  it('by default trusts none: changing the header does not reset the per-address upload limit', async () => {
    const t = await startTestApp();
    try {
      await inOneMinute();
      const statuses: number[] = [];
      for (let i = 0; i <= UPLOAD_LINK_REQUESTS_PER_MINUTE; i++)
        statuses.push((await upload(t, `203.0.113.${i + 1}`)).status);
      expect(statuses.slice(0, UPLOAD_LINK_REQUESTS_PER_MINUTE).every((s) => s === 404)).toBe(true);
      expect(statuses.at(-1)).toBe(429);
    } finally {
      await t.close();
    }
  });

  it('with TRUSTED_PROXIES, counts the address the proxy saw, not one the client wrote in front of it', async () => {
    const t = await startTestApp({ trustedProxies: 'loopback' });
    try {
      await inOneMinute();
      const statuses: number[] = [];
      // The proxy appends the address it saw; whatever the client put before it is not believed.
      for (let i = 0; i <= UPLOAD_LINK_REQUESTS_PER_MINUTE; i++)
        statuses.push((await upload(t, `198.51.100.${i + 1}, 203.0.113.50`)).status);
      expect(statuses.at(-1)).toBe(429);
      expect((await upload(t, '203.0.113.51')).status).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('refuses a TRUSTED_PROXIES entry that is no address, range or keyword, naming the variable', () => {
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, loopback, ::1' }).trustedProxies).toBe(
      '10.0.0.0/8, loopback, ::1',
    );
    expect(() => loadConfig({ TRUSTED_PROXIES: 'proxy.example' })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/TRUSTED_PROXIES/);
  });
});
