/// <reference lib="dom" />
// Callbacks given to page.evaluate run in the browser, with its DOM.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { AppConfig } from '../../src/config/app-config.js';
import { nextCode, type TestAgent } from './console.js';
import { tempDir } from './temp-dirs.js';
import { startTestApp, type TestApp } from './test-app.js';

/** Debian's Chromium (never a browser downloaded by npm); CHROMIUM_PATH overrides it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the tests write screenshots for a person to look at (ignored by git). */
export const SCREENSHOTS = path.resolve('test-output/screenshots');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Chromium's sandbox refuses to start as root (CI containers).
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    // Its own temporary folder, removed with the test file's: Chromium sometimes leaves a `.org.chromium.Chromium.*`
    // folder behind when it is closed under load (seen once in a full run).
    env: { ...process.env, TMPDIR: tempDir('chromium') },
  });
}

/** The test app listening on a real port (the browser speaks real HTTP to it). */
export async function startConsoleServer(overrides: Partial<AppConfig> = {}): Promise<TestApp & { baseUrl: string }> {
  const t = await startTestApp(overrides);
  await t.app.listen(0, '127.0.0.1');
  const address = t.app.getHttpServer().address() as { port: number };
  return Object.assign(t, { baseUrl: `http://127.0.0.1:${address.port}` });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol: the console's CSP allows no inline script)
 * and fails on any serious or critical violation, naming the rule and the elements.
 */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: unknown[] }> } }
    ).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  const blocking = (violations as AxeViolation[]).filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const described = blocking.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(described, `accessibility of ${name} (${page.url()})`).toEqual([]);
}

/** A full-page screenshot in test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Collects what the page reports as errors (a script or style refused by the CSP, a failed asset): the test
 * checks the list is empty at the end.
 */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  // A load the browser cancelled itself (a navigation cutting the previous page's favicon short) is not an error of
  // the page; any other failed request is.
  page.on('requestfailed', (r) => {
    const reason = r.failure()?.errorText;
    if (reason !== 'net::ERR_ABORTED') errors.push(`${r.url()}: ${reason}`);
  });
  return errors;
}

/** Signs an agent in through the sign-in form, as a person does (password and the current TOTP code). */
export async function signInBrowser(page: Page, baseUrl: string, agent: TestAgent, code?: string): Promise<void> {
  await page.goto(`${baseUrl}/console/connexion`);
  await page.fill('#login', agent.login);
  await page.fill('#password', agent.password);
  await page.fill('#code', code ?? (await nextCode(agent)));
  await clickAndLoad(page, 'form[action="/console/connexion"] button[type=submit]');
}

/**
 * Clicks what submits a form or follows a link, and returns once the document it leads to has loaded (after any
 * redirect). Waiting for the page's next `load` event, set up before the click, is what makes this safe:
 * `waitForLoadState('load')` answers at once for the page still shown, so a test could go on before the browser
 * received the answer (and its cookie), and its next `goto` would cut the navigation short.
 */
export async function clickAndLoad(page: Page, selector: string): Promise<Page> {
  await Promise.all([page.waitForEvent('load'), page.click(selector)]);
  return page;
}
