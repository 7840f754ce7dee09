import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expectReadable, launchChromium } from '../helpers/browser.js';
import { dashboardFixture } from '../helpers/dashboard-fixture.js';
import type { FixedClock } from '../helpers/fixed-clock.js';

describe('the dashboard in a real browser (headless Chromium)', () => {
  let fixture: Awaited<ReturnType<typeof dashboardFixture>>;
  let browser: Browser;
  let context: BrowserContext;
  const problems: string[] = [];

  beforeAll(async () => {
    fixture = await dashboardFixture();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    await context.addCookies([{ ...fixture.sessionCookie, url: fixture.url }]);
  });
  afterAll(async () => {
    await browser?.close();
    await fixture?.close();
  });

  async function open(path: string): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${path}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${path}: ${e.message}`));
    const res = await page.goto(`${fixture.url}/dashboard/t/${fixture.mine}${path}`);
    expect(res?.status()).toBe(200);
    return page;
  }

  it.each([
    ['', 'Overview', 0],
    ['/data', 'Data health', 0],
    ['/segments', 'Segments', 1],
    ['/forecasts', 'Forecasts', 1],
    ['/models', 'Model quality', 4],
    ['/actions', 'Next best actions', 0],
    ['/lift', 'Lift', 1],
    ['/writeback', 'Write-back', 0],
  ])('renders %s with real data and draws its charts', async (path, title, minCharts) => {
    const page = await open(path);
    expect(await page.locator('h1').textContent()).toBe(title);
    const charts = await page.locator('canvas[data-chart]').count();
    expect(charts).toBeGreaterThanOrEqual(minCharts);
    expect(await page.locator('canvas[data-drawn="true"]').count()).toBe(charts);
    for (const canvas of await page.locator('canvas[data-drawn="true"]').all()) {
      const box = await canvas.boundingBox();
      expect(box!.width).toBeGreaterThan(150);
      expect(box!.height).toBeGreaterThan(100);
    }
    expect(await page.locator('#empty').count()).toBe(0);
    // What an admin reads: no raw JSON, and no value a bug turned into a word.
    expectReadable(await page.locator('main, body').first().innerText());
    await page.screenshot({ path: `docs/images/browser-dashboard-${path.slice(1) || 'overview'}.png` });
    await page.close();
  });

  it('draws a run as the agent-workflow flowchart', async () => {
    const overview = await open('');
    await overview.locator('#runs a').first().click();
    await overview.waitForSelector('body[data-mermaid="drawn"]');
    const labels = await overview.locator('#workflow svg').textContent();
    for (const phase of ['Collect', 'Clean', 'Analyse', 'Decide', 'Act', 'Feed back']) expect(labels).toContain(phase);
    await overview.close();
  });

  it('pages and filters the action list on the server', async () => {
    const page = await open('/actions');
    const rows = page.locator('#actions-table tbody tr');
    expect(await rows.count()).toBeGreaterThan(5);
    // 900 contacts give far more than one page of 50.
    expect(await page.locator('#actions-range').textContent()).toMatch(/^Showing 1–50 of [\d,]+\./);
    await Promise.all([page.waitForURL(/page=2/), page.click('#actions-pager a[rel="next"]')]);
    expect(await page.locator('#actions-range').textContent()).toMatch(/^Showing 51–/);
    const option = page.locator('#actions-filters select[name="action"] option').nth(1);
    const value = (await option.getAttribute('value'))!;
    await page.selectOption('#actions-filters select[name="action"]', value);
    await Promise.all([page.waitForURL(new RegExp(`action=${value}`)), page.click('#actions-filters button')]);
    const shown = await page.locator('#actions-table tbody tr').all();
    expect(shown.length).toBeGreaterThan(0);
    for (const row of shown) expect(await row.locator('td').nth(2).textContent()).toBe(value.replaceAll('_', ' '));
    // The filter is kept in the page's links: its own page shows "matching".
    expect(await page.locator('#actions-range').textContent()).toMatch(/matching|Showing 1–/);
    await page.close();
  });

  it('updates an open page when a run ends, without a reload', async () => {
    const page = await open('');
    const rows = await page.locator('#runs tbody tr').count();
    await page.evaluate(() => {
      (globalThis as unknown as { marker: boolean }).marker = true;
    });
    // A later run (the fixture's clock stands still unless moved).
    (fixture.runtime.clock as FixedClock).advance(60_000);
    const runId = await fixture.runtime.store.runs.start(fixture.mine, 'sync', 'test');
    await fixture.runtime.store.runs.finish(runId, 'succeeded', {});
    await page.waitForSelector('body[data-refreshed]', { timeout: 120_000 });
    expect(await page.locator('#runs tbody tr').count()).toBeGreaterThanOrEqual(Math.min(rows + 1, 30));
    expect(await page.locator('#runs').textContent()).toContain('sync');
    // The same document: swapped in place, not reloaded.
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: boolean }).marker)).toBe(true);
    await page.close();
  });

  it('saves settings through the form, and refuses bad values with a message', async () => {
    const page = await open('/settings');
    await page.fill('#minProbabilityChange', '4');
    await page.fill('#incremental', '*/20 * * * *');
    await page.click('#settings-form button[type=submit]');
    await page.waitForSelector('#settings-message');
    expect(await page.locator('#settings-message').textContent()).toContain('Settings saved.');
    expect(await page.inputValue('#minProbabilityChange')).toBe('4');
    expect(await page.locator('#settings-message').getAttribute('class')).toBe('banner ok');
    const colour = (selector: string) =>
      page.locator(selector).evaluate((el) => {
        const view = globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } };
        return view.getComputedStyle(el).backgroundColor;
      });
    expect(await colour('#settings-message')).toBe('rgb(230, 246, 236)');
    expect((await fixture.runtime.store.tenants.get(fixture.mine))?.settings).toMatchObject({
      writeback: { minProbabilityChange: 4 },
      schedule: { incremental: '*/20 * * * *' },
    });
    await page.fill('#full', 'nightly please');
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.click('#settings-form button[type=submit]'),
    ]);
    await page.waitForSelector('#settings-message');
    // The refusal is a 400 (Chromium logs every 4xx document as a console error): expected, so not a problem.
    expect(refused.status()).toBe(400);
    const logged = problems.indexOf(
      '/settings: Failed to load resource: the server responded with a status of 400 (Bad Request)',
    );
    expect(logged).toBeGreaterThanOrEqual(0);
    problems.splice(logged, 1);
    expect(await page.locator('#settings-message').textContent()).toContain(
      'Full run schedule: enter a cron expression such as 30 2 * * * (02:30 every day)',
    );
    expect(await page.locator('#settings-message').getAttribute('class')).toBe('banner error');
    // The refused form keeps what was typed; the banners differ in colour, not only in words.
    expect(await page.inputValue('#full')).toBe('nightly please');
    expect(await colour('#settings-message')).toBe('rgb(253, 234, 234)');
    expect(await colour('#full')).toBe('rgb(255, 247, 247)');
    await page.close();
  });

  it('never shows another tenant', async () => {
    const page = await context.newPage();
    const res = await page.goto(`${fixture.url}/dashboard/t/${fixture.theirs}/segments`);
    expect(res?.status()).toBe(404);
    expect(await page.content()).not.toContain('Portal 32');
    await page.close();
  });

  it('logged no console errors on any page', () => {
    expect(problems).toEqual([]);
  });
});
