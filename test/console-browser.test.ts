/// <reference lib="dom" />
// Callbacks given to page.evaluate run in the browser, with its DOM.
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readRoutePolicies } from '../src/platform/auth/route-policies.js';
import {
  clickAndLoad,
  expectAccessible,
  launchBrowser,
  pageErrors,
  screenshot,
  signInBrowser,
  startConsoleServer,
} from './support/browser.js';
import { createAgent, nextCode, type TestAgent } from './support/console.js';
import { insuredWithPendingPhoto } from './support/insight-fixtures.js';
import { CONSOLE_ACTIONS_EXAMPLE_PATHS } from './support/console-actions-examples.js';
import type { TestApp } from './support/test-app.js';
import { OPERATIONS_EXAMPLE_PATHS } from './support/console-operations.js';

/**
 * Console pages whose path has parameters: how to reach one (data made through the app's services or fixtures),
 * keyed by the route's pattern. The catalogue test below visits every other console GET page as it is.
 */
const EXAMPLE_PATHS: Record<string, (t: TestApp) => Promise<string>> = {
  // h/pages-a: the insured's page, the photo page and its image (an insured of the fund agent's organisme), the
  // re-injection's confirmation (operators; any request id: the page only says what will happen).
  '/console/assures/:id': async (t) => `/console/assures/${(await pagesAExample(t)).beneficiaryId}`,
  '/console/photos/:id': async (t) => `/console/photos/${(await pagesAExample(t)).photoId}`,
  '/console/photos/:id/images/:kind': async (t) =>
    `/console/photos/${(await pagesAExample(t)).photoId}/images/original`,
  '/console/demandes/:id/relance': async (t) => `/console/demandes/${(await pagesAExample(t)).requestId}/relance`,
  // h/pages-b: the actions' confirmation pages and the operators' partner pages.
  ...CONSOLE_ACTIONS_EXAMPLE_PATHS,
  ...OPERATIONS_EXAMPLE_PATHS,
};
let pagesAFixture: ReturnType<typeof insuredWithPendingPhoto> | undefined;
const pagesAExample = (t: TestApp) => (pagesAFixture ??= insuredWithPendingPhoto(t, { organismeCode: '017510001' }));

/**
 * The console in a real browser (Debian's Chromium through playwright-core) against the real app on a real port and
 * a real PostgreSQL: sign-in, refusals, lockout, CSRF, keyboard use, sign-out everywhere, expiry, and axe-core on
 * every console page the route catalogue lists.
 */
describe('console in a browser', () => {
  let t: TestApp & { baseUrl: string };
  let browser: Browser;
  let owner: pg.Client;
  const contexts: BrowserContext[] = [];
  const newPage = async (): Promise<{ page: Page; errors: string[] }> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-FR' });
    contexts.push(context);
    const page = await context.newPage();
    return { page, errors: pageErrors(page) };
  };

  beforeAll(async () => {
    [t, browser] = await Promise.all([startConsoleServer({ consoleLockoutAttempts: 3 }), launchBrowser()]);
    owner = new pg.Client(t.ownerUrl);
    await owner.connect();
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  afterAll(async () => {
    await browser?.close();
    await owner?.end();
    await t?.close();
  });

  it('signs in with password and TOTP and shows the home page with the agent and the navigation', async () => {
    const agent = await createAgent(t);
    const { page, errors } = await newPage();
    await page.goto(`${t.baseUrl}/console/connexion`);
    await screenshot(page, 'sign-in');
    await signInBrowser(page, t.baseUrl, agent);
    expect(new URL(page.url()).pathname).toBe('/console');
    expect(await page.textContent('h1')).toBe('Tableau de bord');
    expect(await page.textContent('.fr-header__tools .console-agent')).toContain('Agent');
    expect(await page.getAttribute('nav#navigation a[href="/console/agents"]', 'href')).toBe('/console/agents');
    await screenshot(page, 'home');
    // The DSFR's files loaded and nothing was refused by the Content-Security-Policy.
    expect(errors).toEqual([]);
    expect(await page.evaluate(() => getComputedStyle(document.body).fontFamily)).toContain('Marianne');
  });

  it('refuses a wrong TOTP code and stays on the sign-in page', async () => {
    const agent = await createAgent(t);
    const { page } = await newPage();
    await signInBrowser(page, t.baseUrl, agent, '123456');
    expect(new URL(page.url()).pathname).toBe('/console/connexion');
    expect(await page.textContent('[role=alert]')).toContain('Connexion refusée');
    await expectAccessible(page, 'sign-in refused');
    await screenshot(page, 'sign-in-refused');
  });

  it('locks the account after repeated failures, even for the right code', async () => {
    const agent = await createAgent(t);
    const { page } = await newPage();
    for (let i = 0; i < 3; i++) await signInBrowser(page, t.baseUrl, { ...agent, password: 'not the password' });
    expect(await page.textContent('[role=alert]')).toContain('Compte verrouillé');
    await signInBrowser(page, t.baseUrl, agent);
    expect(new URL(page.url()).pathname).toBe('/console/connexion');
    expect(await page.textContent('[role=alert]')).toContain('Compte verrouillé');
  });

  it('refuses a form posted without its CSRF token', async () => {
    const agent = await createAgent(t);
    const { page } = await newPage();
    await signInBrowser(page, t.baseUrl, agent);
    await page.evaluate(() =>
      document
        .querySelectorAll('form[action="/console/deconnexion-partout"] input[name=_csrf]')
        .forEach((e) => e.remove()),
    );
    await clickAndLoad(page, 'form[action="/console/deconnexion-partout"] button');
    expect(await page.textContent('h1')).toBe('Accès refusé');
    expect(await page.textContent('main')).toContain('CONSOLE_CSRF_INVALID');
    await expectAccessible(page, 'error page');
    await screenshot(page, 'error-csrf');
    // The session was not ended.
    await page.goto(`${t.baseUrl}/console`);
    expect(await page.textContent('h1')).toBe('Tableau de bord');
  });

  it('is usable with the keyboard alone: skip link, sign-in form, then the home page', async () => {
    const agent = await createAgent(t);
    const { page } = await newPage();
    await page.goto(`${t.baseUrl}/console/connexion`);
    const focused = () =>
      page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim());
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Contenu');
    await page.keyboard.press('Enter');
    expect(new URL(page.url()).hash).toBe('#contenu');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('login');
    await page.keyboard.type(agent.login);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('password');
    await page.keyboard.type(agent.password);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('code');
    await page.keyboard.type(await nextCode(agent));
    await Promise.all([page.waitForURL(`${t.baseUrl}/console`), page.keyboard.press('Enter')]);
    expect(await page.textContent('h1')).toBe('Tableau de bord');
    // Every control of the home page is reached by Tab, in order, and the last one signs out everywhere.
    const reached: string[] = [];
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      const label = (await focused()) ?? '';
      reached.push(label);
      if (label === 'Se déconnecter partout') break;
    }
    expect(reached).toContain('Se déconnecter');
    expect(reached).toContain('Tableau de bord');
    expect(reached.at(-1)).toBe('Se déconnecter partout');
    await Promise.all([page.waitForURL(`${t.baseUrl}/console/connexion`), page.keyboard.press('Enter')]);
  });

  it('signs out everywhere: every browser of the agent is signed out', async () => {
    const agent = await createAgent(t);
    const one = await newPage();
    const two = await newPage();
    await signInBrowser(one.page, t.baseUrl, agent);
    await signInBrowser(two.page, t.baseUrl, agent);
    await Promise.all([
      one.page.waitForURL(`${t.baseUrl}/console/connexion`),
      one.page.click('form[action="/console/deconnexion-partout"] button'),
    ]);
    await two.page.reload();
    expect(new URL(two.page.url()).pathname).toBe('/console/connexion');
  });

  it('ends an idle session: the next page is the sign-in page', async () => {
    const agent = await createAgent(t);
    const { page } = await newPage();
    await signInBrowser(page, t.baseUrl, agent);
    expect(new URL(page.url()).pathname).toBe('/console');
    await owner.query(
      `UPDATE console_session SET last_seen_at = now() - make_interval(mins => $2 + 1) WHERE agent_id = $1`,
      [agent.id, t.config.consoleIdleMinutes],
    );
    await page.reload();
    expect(new URL(page.url()).pathname).toBe('/console/connexion');
  });

  it("shows an unknown console address as the console's page not found, with its menu once signed in", async () => {
    const agent = await createAgent(t);
    const { page, errors } = await newPage();
    const plain = await page.goto(`${t.baseUrl}/console/nulle-part`);
    expect(plain?.status()).toBe(404);
    expect(await page.textContent('h1')).toBe('Page introuvable');
    expect(await page.textContent('main')).toContain('NOT_FOUND');
    expect(await page.locator('#navigation').count()).toBe(0);
    await expectAccessible(page, 'not found, signed out');
    await signInBrowser(page, t.baseUrl, agent);
    const withMenu = await page.goto(`${t.baseUrl}/console/nulle-part`);
    expect(withMenu?.status()).toBe(404);
    expect(await page.textContent('h1')).toBe('Page introuvable');
    expect(await page.locator('#navigation').count()).toBe(1);
    await expectAccessible(page, 'not found');
    await screenshot(page, 'error-not-found');
    // The document's own 404 is what the browser reports (Chromium logs it); nothing else failed.
    expect(errors.filter((e) => !/404/.test(e))).toEqual([]);
  });

  it('every console page of the route catalogue passes axe-core (no serious or critical violation)', async () => {
    const operator = await createAgent(t);
    const fund = await createAgent(t, { kind: 'fund' });
    const signedIn: Record<string, { page: Page; agent: TestAgent }> = {};
    for (const [role, agent] of [
      ['operator', operator],
      ['fund', fund],
    ] as const) {
      const { page } = await newPage();
      await signInBrowser(page, t.baseUrl, agent);
      signedIn[role] = { page, agent };
    }
    const anonymous = (await newPage()).page;
    const pages = [...readRoutePolicies(t.app).values()].filter((p) => p.console && p.method === 'GET');
    expect(pages.length).toBeGreaterThan(2);
    const visited: string[] = [];
    for (const p of pages) {
      // A page with path parameters is visited at the example URL its author gives in EXAMPLE_PATHS (made with
      // the test's own data); one without an example fails here, so no page escapes the check.
      const example = EXAMPLE_PATHS[p.path];
      expect(!p.path.includes(':') || !!example, `${p.path} has path parameters: add it to EXAMPLE_PATHS`).toBe(true);
      const viewers = p.console!.signedOut ? [anonymous] : p.console!.roles.map((r) => signedIn[r].page);
      for (const page of viewers) {
        const res = await page.goto(`${t.baseUrl}${example ? await example(t) : p.path}`);
        expect(res?.status(), p.path).toBe(200);
        // A console route that streams an image (the photo page's) has no document to check.
        if (!res?.headers()['content-type']?.startsWith('text/html')) continue;
        await expectAccessible(page, p.path);
        visited.push(p.path);
      }
      await screenshot(viewers[0], `page${p.path.replace(/\//g, '-')}`);
    }
    expect(visited).toContain('/console/agents');
    expect(visited).toContain('/console/connexion');
    // Every page for each role that may see it, each checked by axe: about forty seconds alone, twice that beside
    // another test file on this two-core machine; the default minute is for one scenario, not a catalogue.
  }, 300_000);

  it('an operator creates an agent and sees the one-time secrets once', async () => {
    const operator = await createAgent(t);
    const { page } = await newPage();
    await signInBrowser(page, t.baseUrl, operator);
    await page.goto(`${t.baseUrl}/console/agents`);
    await page.fill('#login', `new.agent.${Date.now()}`);
    await page.fill('#displayName', 'Nouvel Agent');
    await clickAndLoad(page, 'form[action="/console/agents"] button[type=submit]');
    expect(await page.textContent('h1')).toContain('Agent créé');
    expect(await page.textContent('#one-time-password')).toMatch(/^[A-Za-z0-9]{16}$/);
    await expectAccessible(page, 'agent created');
    await screenshot(page, 'agent-created');
  });

  it('the navigation fits at 1280 and 1024 px: one line, no sideways scroll; a menu opens to its pages', async () => {
    const operator = await createAgent(t);
    const { page, errors } = await newPage();
    await signInBrowser(page, t.baseUrl, operator);
    for (const width of [1280, 1024]) {
      await page.setViewportSize({ width, height: 900 });
      for (const path of ['/console', '/console/lots', '/console/recherche', '/console/journal']) {
        await page.goto(`${t.baseUrl}${path}`);
        const m = await page.evaluate(() => {
          const items = [...document.querySelectorAll<HTMLElement>('#navigation .fr-nav__list > .fr-nav__item')];
          const controls = items.map((i) =>
            i.querySelector<HTMLElement>(':scope > .fr-nav__link, :scope > .fr-nav__btn')!,
          );
          const line = parseFloat(getComputedStyle(controls[0]).lineHeight);
          return {
            scrollWidth: document.documentElement.scrollWidth,
            clientWidth: document.documentElement.clientWidth,
            tops: [...new Set(items.map((i) => Math.round(i.getBoundingClientRect().top)))],
            // Each entry's text on a single line (« Tableau de bord » no longer over three).
            wrapped: controls
              .filter((c) => {
                const r = document.createRange();
                r.selectNodeContents(c);
                return r.getClientRects().length > 1 || r.getBoundingClientRect().height > line * 1.5;
              })
              .map((c) => c.textContent?.trim()),
          };
        });
        expect(m.scrollWidth, `${path} at ${width} px`).toBeLessThanOrEqual(m.clientWidth);
        expect(m.tops, `${path} at ${width} px: one row`).toHaveLength(1);
        expect(m.wrapped, `${path} at ${width} px`).toEqual([]);
      }
    }
    // A grouped page is reached through its menu, which says it holds the current page.
    await page.goto(`${t.baseUrl}/console`);
    await page.click('#navigation button[aria-controls="menu-emission"]');
    await page.waitForSelector('#menu-emission a[href="/console/lots"]', { state: 'visible' });
    await clickAndLoad(page, '#menu-emission a[href="/console/lots"]');
    expect(new URL(page.url()).pathname).toBe('/console/lots');
    expect(await page.getAttribute('#navigation button[aria-controls="menu-emission"]', 'aria-current')).toBe('true');
    await expectAccessible(page, 'navigation menu');
    expect(errors).toEqual([]);
  });
});
