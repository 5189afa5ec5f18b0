/// <reference lib="dom" />
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  expectAccessible,
  launchBrowser,
  pageErrors,
  screenshot,
  signInBrowser,
  startConsoleServer,
} from './support/browser.js';
import { createAgent, type TestAgent } from './support/console.js';
import {
  exampleBatch,
  exampleCampaign,
  exampleList,
  exampleReturnFile,
  exampleTransfer,
} from './support/console-operations.js';
import type { TestApp } from './support/test-app.js';

/** The operators' pages in Debian's Chromium: confirmed actions clicked through, axe on each step, screenshots. */
describe('console operators pages in a browser', () => {
  let t: TestApp & { baseUrl: string };
  let browser: Browser;
  let operator: TestAgent;
  const contexts: BrowserContext[] = [];
  const signedInPage = async (agent: TestAgent): Promise<{ page: Page; errors: { list: string[] } }> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-FR' });
    contexts.push(context);
    const page = await context.newPage();
    // A navigation that cancels the previous page's favicon load is not an error of the page.
    const all = pageErrors(page);
    const errors = {
      get list() {
        return all.filter((e) => !e.endsWith('net::ERR_ABORTED'));
      },
    };
    await signInBrowser(page, t.baseUrl, agent);
    return { page, errors };
  };
  beforeAll(async () => {
    [t, browser] = await Promise.all([startConsoleServer({ workersEnabled: false }), launchBrowser()]);
    operator = await createAgent(t);
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('an operator starts a reconciliation dry run through its confirmation page', async () => {
    const { page, errors } = await signedInPage(operator);
    await page.goto(`${t.baseUrl}/console/rapprochement`);
    await expectAccessible(page, 'rapprochement');
    await screenshot(page, 'operations-rapprochement');
    await Promise.all([page.waitForURL(/nouvelle\/simulation$/), page.click('text=Lancer une simulation')]);
    expect(await page.textContent('h1')).toContain('Lancer une simulation');
    await expectAccessible(page, 'confirmation de simulation');
    await screenshot(page, 'operations-rapprochement-confirmation');
    await Promise.all([
      page.waitForURL(/\/console\/rapprochement\/executions\/[0-9a-f-]{36}$/),
      page.click('form[action="/console/rapprochement/executions"] button[type=submit]'),
    ]);
    const id = page.url().split('/').pop()!;
    expect(await page.textContent('#run-status')).toContain('En attente');
    await expectAccessible(page, 'exécution');
    const runs = await t.dataSource.query(
      `SELECT r.mode::text, a.actor_agent_id FROM reconciliation_run r JOIN audit_entry a ON a.entity_id = r.id::text WHERE r.id = $1`,
      [id],
    );
    expect(runs).toEqual([{ mode: 'dry_run', actor_agent_id: operator.id }]);
    expect(errors.list).toEqual([]);
  });

  it('a campaign changes nothing without confirmation, then an operator cancels a campaign through its confirmation page', async () => {
    const id = await exampleCampaign(t);
    const { page, errors } = await signedInPage(operator);
    await page.goto(`${t.baseUrl}/console/campagnes`);
    await expectAccessible(page, 'campagnes');
    await screenshot(page, 'operations-campagnes');
    await Promise.all([page.waitForURL(new RegExp(`${id}$`)), page.click(`a[href="/console/campagnes/${id}"]`)]);
    expect(await page.textContent('#campaign-status')).toContain('Prête');
    await screenshot(page, 'operations-campagne');
    await Promise.all([page.waitForURL(/annulation$/), page.click('text=Annuler')]);
    await expectAccessible(page, "confirmation d'annulation");
    // "Ne rien faire" changes nothing.
    await Promise.all([page.waitForURL(new RegExp(`${id}$`)), page.click('text=Ne rien faire')]);
    expect(await page.textContent('#campaign-status')).toContain('Prête');
    await Promise.all([page.waitForURL(/annulation$/), page.click('text=Annuler')]);
    await Promise.all([
      page.waitForURL(new RegExp(`${id}$`)),
      page.click(`form[action="/console/campagnes/${id}/annulation"] button[type=submit]`),
    ]);
    expect(await page.textContent('#campaign-status')).toContain('Annulée');
    const [row] = await t.dataSource.query(`SELECT status::text FROM campaign WHERE id = $1`, [id]);
    expect(row.status).toBe('cancelled');
    expect(errors.list).toEqual([]);
  });

  it('batches, return files, the campaign form, opposition lists, signing keys and transfers pass axe; screenshots', async () => {
    const [number, transfer] = await Promise.all([exampleList(t), exampleTransfer(t)]);
    const [batch, returned] = [await exampleBatch(t), await exampleReturnFile(t)];
    const { page, errors } = await signedInPage(operator);
    for (const [path, name] of [
      ['/console/lots', 'operations-lots'],
      [`/console/lots/${batch}`, 'operations-lot'],
      ['/console/fichiers-retour', 'operations-fichiers-retour'],
      [`/console/fichiers-retour/${returned}`, 'operations-fichier-retour'],
      ['/console/campagnes/nouvelle', 'operations-campagne-nouvelle'],
      ['/console/listes-opposition', 'operations-listes-opposition'],
      [`/console/listes-opposition/${number}`, 'operations-liste-opposition'],
      ['/console/cles-de-signature', 'operations-cles-de-signature'],
      ['/console/cles-de-signature/rotation', 'operations-cles-rotation'],
      ['/console/transferts', 'operations-transferts'],
      [`/console/transferts/${transfer}`, 'operations-transfert'],
    ]) {
      const res = await page.goto(`${t.baseUrl}${path}`);
      expect(res?.status(), path).toBe(200);
      await expectAccessible(page, path);
      await screenshot(page, name);
    }
    await page.goto(`${t.baseUrl}/console/campagnes/nouvelle`);
    await page.fill('#regimeCodes', '01');
    await page.selectOption('#generation', '1');
    await Promise.all([
      page.waitForURL(/simulation$/),
      page.click('button[formaction="/console/campagnes/simulation"]'),
    ]);
    expect(await page.textContent('#cohort-size')).toBe('0');
    await expectAccessible(page, 'simulation de cohorte');
    expect(errors.list).toEqual([]);
  });
});
