/// <reference lib="dom" />
// Callbacks given to page.evaluate run in the browser, with its DOM.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatSerial } from '../src/cards/card-serial.js';
import { CardState } from '../src/cards/card-state.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import {
  clickAndLoad,
  expectAccessible,
  launchBrowser,
  pageErrors,
  screenshot,
  signInBrowser,
  startConsoleServer,
} from './support/browser.js';
import { createAgent, type TestAgent } from './support/console.js';
import { insertRequest } from './support/event-fixtures.js';
import { insertBeneficiary, insertCard } from './support/factories.js';
import type { TestApp } from './support/test-app.js';
import { createVendor } from './support/vendor-fixtures.js';

const MINE = '017510001';

/**
 * The console's actions and operators' pages in Debian's Chromium against the real app: an opposition declared and
 * withdrawn by a fund agent, an API key shown once, a form stripped of its CSRF token refused; axe and screenshots
 * of the pages.
 */
describe('console actions in a browser', () => {
  let t: TestApp & { baseUrl: string };
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const newPage = async (): Promise<{ page: Page; errors: string[] }> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-FR' });
    contexts.push(context);
    const page = await context.newPage();
    return { page, errors: pageErrors(page) };
  };
  const submit = clickAndLoad;
  // signInBrowser returns once the click is done; the home page's navigation is awaited here, so the next goto
  // does not abort it.
  const signIn = async (page: Page, agent: TestAgent) => {
    await signInBrowser(page, t.baseUrl, agent);
    await page.waitForURL(`${t.baseUrl}/console`);
  };
  const cardRow = async (id: string) =>
    (await t.dataSource.query(`SELECT state, opposition_reason FROM card WHERE id = $1`, [id]))[0];

  beforeAll(async () => {
    [t, browser] = await Promise.all([startConsoleServer({ workersEnabled: false }), launchBrowser()]);
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('a fund agent declares an opposition from its confirmation page, then withdraws it', async () => {
    const agent = await createAgent(t, { kind: 'fund', organismeCode: MINE });
    const b = await insertBeneficiary(t.dataSource, { organismeCode: MINE });
    const card = await insertCard(t.dataSource, { beneficiaryId: b.id, organismeCode: MINE, state: CardState.Active });
    const serial = formatSerial(card.serial);
    const { page, errors } = await newPage();
    await signIn(page, agent);
    await page.goto(`${t.baseUrl}/console/cartes/${serial}/opposition`);
    expect(await page.textContent('h1')).toContain(serial);
    await expectAccessible(page, 'opposition form');
    await screenshot(page, 'action-opposition-confirm');
    await page.click('label[for=reason-stolen]');
    expect(await page.isChecked('#reason-stolen')).toBe(true);
    await submit(page, `form[action="/console/cartes/${serial}/opposition"] button[type=submit]`);
    expect(new URL(page.url()).pathname).toBe(`/console/cartes/${serial}/opposition`);
    expect(await page.textContent('#card-state')).toBe('En opposition');
    expect(await cardRow(card.id)).toEqual({ state: 'opposed', opposition_reason: 'stolen' });
    const audited = await t.dataSource.query(
      `SELECT action FROM audit_entry WHERE entity_id = $1 AND actor_agent_id = $2`,
      [card.id, agent.id],
    );
    expect(audited).toEqual([{ action: 'card.oppose' }]);
    await expectAccessible(page, 'opposition declared');
    await screenshot(page, 'action-opposition-declared');
    await submit(page, `form[action="/console/cartes/${serial}/opposition/retrait"] button[type=submit]`);
    expect(await page.textContent('#card-state')).toBe('Active');
    expect((await cardRow(card.id)).state).toBe('active');
    expect(errors).toEqual([]);
  });

  it('refuses an action form posted without its CSRF token, and the card stays as it was', async () => {
    const agent = await createAgent(t, { kind: 'fund', organismeCode: MINE });
    const b = await insertBeneficiary(t.dataSource, { organismeCode: MINE });
    const card = await insertCard(t.dataSource, { beneficiaryId: b.id, organismeCode: MINE, state: CardState.Active });
    const serial = formatSerial(card.serial);
    const { page } = await newPage();
    await signIn(page, agent);
    await page.goto(`${t.baseUrl}/console/cartes/${serial}/opposition`);
    await page.evaluate(() => document.querySelectorAll('main form input[name=_csrf]').forEach((e) => e.remove()));
    await submit(page, `form[action="/console/cartes/${serial}/opposition"] button[type=submit]`);
    expect(await page.textContent('h1')).toBe('Accès refusé');
    expect(await page.textContent('main')).toContain('CONSOLE_CSRF_INVALID');
    expect((await cardRow(card.id)).state).toBe('active');
  });

  it('an operator creates an API key: shown once, then only its prefix', async () => {
    const operator = await createAgent(t);
    const partner = await t.partner(PartnerKind.PharmacySoftware);
    const { page, errors } = await newPage();
    await signIn(page, operator);
    await page.goto(`${t.baseUrl}/console/partenaires`);
    await screenshot(page, 'partners');
    await submit(page, `a[href="/console/partenaires/${partner.id}"]`);
    await page.fill('#label', 'logiciel officine 2027');
    await submit(page, `form[action="/console/partenaires/${partner.id}/cles"] button[type=submit]`);
    const key = (await page.textContent('#api-key')) ?? '';
    expect(key.length).toBeGreaterThan(20);
    expect(
      (
        await t
          .http()
          .get('/v1/me')
          .set({ Authorization: `Bearer ${key}` })
      ).status,
    ).toBe(200);
    await expectAccessible(page, 'API key created');
    await screenshot(page, 'api-key-created');
    await page.goto(`${t.baseUrl}/console/partenaires/${partner.id}`);
    expect(await page.textContent('main')).toContain('logiciel officine 2027');
    expect(await page.content()).not.toContain(key);
    await screenshot(page, 'partner');
    expect(errors).toEqual([]);
  });

  it('screens of the other action and operator pages (axe is run on them by the catalogue test)', async () => {
    const operator = await createAgent(t);
    const fund = await createAgent(t, { kind: 'fund', organismeCode: MINE });
    await createVendor(t, { login: `fab_b_${process.pid % 100000}` });
    const b = await insertBeneficiary(t.dataSource, { organismeCode: MINE });
    const request = await insertRequest(t.dataSource, { organismeCode: MINE, beneficiaryId: b.id });
    const op = (await newPage()).page;
    await signIn(op, operator);
    for (const [path, name] of [
      ['/console/fabricants', 'vendors'],
      ['/console/journal', 'audit-search'],
    ]) {
      await op.goto(`${t.baseUrl}${path}`);
      await expectAccessible(op, path);
      await screenshot(op, name);
    }
    const f = (await newPage()).page;
    await signIn(f, fund);
    for (const [path, name] of [
      [`/console/demandes/${request.id}/annulation`, 'action-cancel-request'],
      [`/console/assures/${b.id}/remplacement`, 'action-replacement'],
      [`/console/assures/${b.id}/mutation`, 'action-mutation'],
    ]) {
      await f.goto(`${t.baseUrl}${path}`);
      await expectAccessible(f, path);
      await screenshot(f, name);
    }
  });
});
