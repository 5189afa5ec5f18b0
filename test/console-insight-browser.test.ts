/// <reference lib="dom" />
// Callbacks given to page.evaluate run in the browser, with its DOM.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { RequestStatus } from '../src/emission/requests/request-status.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { InsightFiguresService } from '../src/insight/insight-figures.service.js';
import { PhotoJobs } from '../src/photo/photo.jobs.js';
import {
  clickAndLoad,
  expectAccessible,
  launchBrowser,
  pageErrors,
  screenshot,
  signInBrowser,
  startConsoleServer,
} from './support/browser.js';
import { createAgent } from './support/console.js';
import { insertRequest, insertStep } from './support/event-fixtures.js';
import { insertBeneficiary, insertCard } from './support/factories.js';
import { insuredWithPendingPhoto } from './support/insight-fixtures.js';
import { goodJpeg } from './support/photo-fixtures.js';
import type { TestApp } from './support/test-app.js';

const MINE = '017510001';
const OTHER = '015910001';

/**
 * The console's dashboard, search, insured's page and photo page in a real browser (Debian's Chromium) against the
 * real app and PostgreSQL: the tenant rule seen by a fund agent, re-injecting a stuck request, a refused photo's
 * measures, the keyboard alone, axe-core.
 */
describe('console dashboard, search, insured and photo pages in a browser', () => {
  let t: TestApp & { baseUrl: string };
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const newPage = async (): Promise<{ page: Page; errors: string[] }> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-FR' });
    contexts.push(context);
    const page = await context.newPage();
    return { page, errors: pageErrors(page) };
  };
  /** What the page reported, less the expected: the 404 answers the tests ask for, loads cut short by navigating. */
  const unexpected = (errors: string[]) => errors.filter((e) => !/status of 404|net::ERR_ABORTED/.test(e));
  const signedIn = async (kind: 'operator' | 'fund', organismeCode = MINE) => {
    const agent = await createAgent(t, kind === 'fund' ? { kind, organismeCode } : {});
    const p = await newPage();
    await signInBrowser(p.page, t.baseUrl, agent);
    return { ...p, agent };
  };
  const submit = clickAndLoad;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startConsoleServer(), launchBrowser()]);
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("a fund agent searching another fund's insured sees not found, by NIR and by serial; their own by NIR opens the insured's page", async () => {
    const mine = await insuredWithPendingPhoto(t, { organismeCode: MINE });
    const theirs = await insuredWithPendingPhoto(t, { organismeCode: OTHER });
    const { page, errors } = await signedIn('fund');
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));

    await page.goto(`${t.baseUrl}/console/recherche`);
    await page.fill('#nir', theirs.nir);
    await submit(page, 'form[action="/console/recherche/nir"] button[type=submit]');
    expect(await page.textContent('#resultat')).toContain('Introuvable');
    await expectAccessible(page, 'search not found');
    await screenshot(page, 'console-search-not-found');

    const res = await page.goto(`${t.baseUrl}/console/recherche/carte?numero=${theirs.serial}`);
    expect(res?.status()).toBe(404);
    expect(await page.textContent('#resultat')).toContain('Introuvable');

    // Their own card is found, with a link to the holder's file.
    await page.goto(`${t.baseUrl}/console/recherche/carte?numero=${mine.serial}`);
    expect(await page.textContent('#resultat h2')).toContain(mine.serial);

    await page.goto(`${t.baseUrl}/console/recherche`);
    await page.fill('#nir', mine.nir);
    await submit(page, 'form[action="/console/recherche/nir"] button[type=submit]');
    expect(new URL(page.url()).pathname).toBe(`/console/assures/${mine.beneficiaryId}`);
    expect(await page.textContent('main')).toContain(mine.nir);
    // The NIR travelled in form bodies only, never in a URL.
    expect(requests.filter((u) => u.includes(mine.nir) || u.includes(theirs.nir))).toEqual([]);
    await expectAccessible(page, 'insured page');
    await screenshot(page, 'console-insured');

    // The insured's page of another fund is the same "not found" as a missing one.
    const other = await page.goto(`${t.baseUrl}/console/assures/${theirs.beneficiaryId}`);
    expect(other?.status()).toBe(404);
    expect(unexpected(errors)).toEqual([]);
  });

  it('searches by name and birth date, and reaches an insured by the keyboard alone', async () => {
    const mine = await insuredWithPendingPhoto(t, { organismeCode: MINE, birthName: 'CLAVIER' });
    const birthDate = (
      (await t.dataSource.query(`SELECT birth_date::text AS d FROM beneficiary WHERE id = $1`, [
        mine.beneficiaryId,
      ])) as Array<{ d: string }>
    )[0].d;
    const { page } = await signedIn('fund');
    await page.goto(`${t.baseUrl}/console/recherche`);
    const focused = () =>
      page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim());
    let reached = '';
    for (let i = 0; i < 60 && reached !== 'name'; i++) {
      await page.keyboard.press('Tab');
      reached = (await focused()) ?? '';
    }
    expect(reached).toBe('name');
    await page.keyboard.type('CLAV');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('birthDate');
    const [y, m, d] = birthDate.split('-');
    await page.keyboard.type(`${d}/${m}/${y}`);
    await Promise.all([page.waitForURL(`${t.baseUrl}/console/recherche/nom`), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).pathname).toBe('/console/recherche/nom');
    expect(await page.textContent('#resultat h2')).toContain('Assurés trouvés (1)');
    await expectAccessible(page, 'search by name');
    await screenshot(page, 'console-search-by-name');
    // Tab to the match's link, then Enter opens the insured's page.
    reached = '';
    for (let i = 0; i < 60 && !reached.startsWith('CLAVIER'); i++) {
      await page.keyboard.press('Tab');
      reached = (await focused()) ?? '';
    }
    await Promise.all([
      page.waitForURL(`${t.baseUrl}/console/assures/${mine.beneficiaryId}`),
      page.keyboard.press('Enter'),
    ]);
    expect(await page.textContent('h1')).toContain('CLAVIER');
  });

  it('an operator re-injects a stuck request from the dashboard, after confirming, and the request moves on', async () => {
    const stuck = await insuredWithPendingPhoto(t, { organismeCode: MINE, idleHours: 400 });
    // A lead time to draw: a form sent a day ago whose photo was accepted a minute ago.
    const lead = await insertRequest(t.dataSource, { organismeCode: MINE, status: RequestStatus.FormSent });
    await t.dataSource.query(
      `UPDATE card_request_step SET entered_at = now() - interval '1 day 1 minute' WHERE request_id = $1`,
      [lead.id],
    );
    await insertStep(t.dataSource, lead.id, RequestStatus.PhotoAvailable, 1 / 60);
    // A kiosk update an hour ago, for the chart of updates per hour (counted by the minute's job).
    const holder = await insertBeneficiary(t.dataSource, { organismeCode: MINE });
    const card = await insertCard(t.dataSource, {
      beneficiaryId: holder.id,
      organismeCode: MINE,
      state: CardState.Active,
    });
    await t.dataSource.query(
      `INSERT INTO kiosk_exchange (card_id, kiosk_partner_id, base_version, target_version, records, status, created_at, finished_at)
       VALUES ($1, $2, 0, 1, ARRAY['coverage@1'], 'confirmed', now() - interval '1 hour', now() - interval '1 hour')`,
      [card.id, (await t.partner(PartnerKind.Kiosk)).id],
    );
    await t.app.get(InsightFiguresService).refresh();
    const { page, errors, agent } = await signedIn('operator');
    await page.goto(`${t.baseUrl}/console`);
    const row = `#demandes-bloquees tr[data-request="${stuck.requestId}"]`;
    expect(await page.locator(row).count()).toBe(1);
    // The lead time is drawn (an SVG image with its title) and given as a table beside the 2.4-day reference.
    expect(await page.locator('svg[role=img] title#graphe-delai-0-title').count()).toBe(1);
    expect(await page.locator('#delai-0').textContent()).toContain('référence 2,4 jours');
    expect(await page.locator('svg[role=img] title#graphe-bornes-title').count()).toBe(1);
    expect(await page.locator('svg[aria-labelledby="graphe-bornes-title graphe-bornes-desc"] rect').count()).toBe(2);
    await expectAccessible(page, 'dashboard');
    await screenshot(page, 'console-dashboard');

    await submit(page, `${row} a`);
    expect(new URL(page.url()).pathname).toBe(`/console/demandes/${stuck.requestId}/relance`);
    await expectAccessible(page, 're-inject confirmation');
    await submit(page, 'form[action$="/relance"] button[type=submit]');
    expect(new URL(page.url()).pathname).toBe('/console');
    expect(await page.textContent('[role=status]')).toContain('relancée');

    // The pipeline's retry ran: the step's job is queued again, audited with the agent.
    const jobs = (await t.dataSource.query(
      `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'photo.check' AND data->>'photoId' = $1`,
      [stuck.photoId],
    )) as Array<{ n: number }>;
    expect(jobs[0].n).toBe(1);
    const audit = (await t.dataSource.query(
      `SELECT actor_agent_id::text AS agent FROM audit_entry WHERE action = 'card_request.retried' AND entity_id = $1`,
      [stuck.requestId],
    )) as Array<{ agent: string }>;
    expect(audit).toEqual([{ agent: agent.id }]);

    // The worker does what the queued job says: the photo is checked (refused, too small), the request moves on.
    await t.app.get(PhotoJobs).photoCheck({ photoId: stuck.photoId });
    const [{ status }] = (await t.dataSource.query(`SELECT status::text FROM card_request WHERE id = $1`, [
      stuck.requestId,
    ])) as Array<{ status: string }>;
    expect(status).toBe('photo_rejected');
    await page.goto(`${t.baseUrl}/console`);
    expect(await page.locator(row).count()).toBe(0);
    expect(unexpected(errors)).toEqual([]);
  });

  it('a refused photo shows why: its images and every measure beside its threshold; another fund cannot see it', async () => {
    const p = await insuredWithPendingPhoto(t, { organismeCode: MINE });
    await t.app.get(PhotoJobs).photoCheck({ photoId: p.photoId });
    const { page, errors } = await signedIn('fund');
    await page.goto(`${t.baseUrl}/console/assures/${p.beneficiaryId}`);
    await submit(page, `a[href="/console/photos/${p.photoId}"]`);
    expect(await page.textContent('h1')).toContain('refusée');
    expect(await page.textContent('#motifs')).toContain('PHOTO_TOO_SMALL');
    const size = await page.textContent('#mesures tr[data-check="size"]');
    expect(size).toContain('width = 120');
    expect(size).toContain('minimum (width) 413');
    expect(size).toContain('Hors seuil');
    expect(await page.locator('#mesures tbody tr').count()).toBeGreaterThanOrEqual(5);
    // The received scan is served by the console (audited); a refused photo has no print or chip image.
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('img[data-image="original"]');
      return !!img && img.complete && img.naturalWidth === 120;
    });
    expect(await page.locator('img[data-image="print"]').count()).toBe(0);
    const reads = (await t.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_entry WHERE action = 'photo.image.read' AND entity_id = $1`,
      [p.photoId],
    )) as Array<{ n: number }>;
    expect(reads[0].n).toBe(1);
    await expectAccessible(page, 'refused photo');
    await screenshot(page, 'console-photo-refused');
    expect(unexpected(errors)).toEqual([]);

    const other = await signedIn('fund', OTHER);
    expect((await other.page.goto(`${t.baseUrl}/console/photos/${p.photoId}`))?.status()).toBe(404);
    expect((await other.page.goto(`${t.baseUrl}/console/photos/${p.photoId}/images/original`))?.status()).toBe(404);
  });

  it('an accepted photo shows its three images at their own aspect ratio, and what was produced in French', async () => {
    const p = await insuredWithPendingPhoto(t, { organismeCode: MINE, jpeg: await goodJpeg() });
    await t.app.get(PhotoJobs).photoCheck({ photoId: p.photoId });
    const { page, errors } = await signedIn('fund');
    await page.goto(`${t.baseUrl}/console/photos/${p.photoId}`);
    expect(await page.textContent('h1')).toContain('acceptée');
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('img[data-image]')].every((i) => i.complete && i.naturalWidth),
    );
    const boxes = await page.$$eval('img[data-image]', (imgs) =>
      (imgs as HTMLImageElement[]).map((i) => ({
        kind: i.dataset.image,
        shown: i.getBoundingClientRect().width / i.getBoundingClientRect().height,
        natural: i.naturalWidth / i.naturalHeight,
        naturalWidth: i.naturalWidth,
        naturalHeight: i.naturalHeight,
      })),
    );
    expect(boxes.map((b) => b.kind)).toEqual(['original', 'print', 'chip']);
    expect(boxes[0]).toMatchObject({ naturalWidth: 600, naturalHeight: 800 });
    for (const b of boxes) expect(Math.abs(b.shown / b.natural - 1), `${b.kind} squashed`).toBeLessThan(0.02);

    const output = (await page.textContent('#mesures tr[data-check="output"]')) ?? '';
    expect(output).not.toContain('[object Object]');
    expect(output).toContain('Images produites');
    expect(output).toMatch(
      /Image de la puce : \d+ × \d+ pixels, [\d\s\u202f]+ octets, au plus 15\u202f000 octets, qualité JPEG \d+/,
    );
    expect(output).toMatch(/Image d'impression : [\d\s\u202f]+ octets/);
    await expectAccessible(page, 'accepted photo');
    await screenshot(page, 'console-photo-accepted');
    expect(unexpected(errors)).toEqual([]);
  });

  it('a mistyped NIR or birth date shows the search form again with the French message, to correct and send again', async () => {
    const mine = await insuredWithPendingPhoto(t, { organismeCode: MINE });
    const { page, errors } = await signedIn('fund');
    await page.goto(`${t.baseUrl}/console/recherche`);
    const wrongKey = mine.nir.slice(0, 13) + String((Number(mine.nir.slice(13)) % 97) + 1).padStart(2, '0');
    await page.fill('#nir', wrongKey);
    await submit(page, 'form[action="/console/recherche/nir"] button[type=submit]');
    expect(await page.textContent('h1')).toBe('Recherche');
    expect(await page.textContent('#resultat')).toContain('La clé du NIR ne correspond pas');
    expect(await page.textContent('#nir-erreur')).toContain('NIR_KEY_MISMATCH');
    expect(await page.getAttribute('#nir', 'aria-describedby')).toBe('nir-erreur');
    expect(await page.inputValue('#nir')).toBe(wrongKey);
    expect(await page.locator('text=Action impossible').count()).toBe(0);
    await expectAccessible(page, 'search with a mistyped NIR');
    await page.fill('#nir', mine.nir);
    await submit(page, 'form[action="/console/recherche/nir"] button[type=submit]');
    expect(new URL(page.url()).pathname).toBe(`/console/assures/${mine.beneficiaryId}`);

    await page.goto(`${t.baseUrl}/console/recherche`);
    await page.fill('#name', 'DUPONT');
    await page.fill('#birthDate', '31/02/1980');
    await submit(page, 'form[action="/console/recherche/nom"] button[type=submit]');
    expect(await page.textContent('#birthDate-erreur')).toContain('DATE_INVALID');
    expect(await page.inputValue('#name')).toBe('DUPONT');
    // The refused forms answer 422 (the rule's status), which the browser reports.
    expect(unexpected(errors).filter((e) => !/status of 422/.test(e))).toEqual([]);
  });
});
