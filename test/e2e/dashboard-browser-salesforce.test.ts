import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext } from 'playwright-core';
import { expectReadable, launchChromium } from '../helpers/browser.js';
import { dashboardFixture } from '../helpers/dashboard-fixture.js';

/** The same pages for a Salesforce org's tenant: its own settings (API share, Bulk thresholds) and wording. */
describe('the dashboard of a Salesforce tenant in a real browser (headless Chromium)', () => {
  let fixture: Awaited<ReturnType<typeof dashboardFixture>>;
  let browser: Browser;
  let context: BrowserContext;
  const problems: string[] = [];

  beforeAll(async () => {
    fixture = await dashboardFixture({ crm: 'salesforce', contacts: 600 });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    await context.addCookies([{ ...fixture.sessionCookie, url: fixture.url }]);
  });
  afterAll(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it.each([
    ['', 'Overview'],
    ['/data', 'Data health'],
    ['/segments', 'Segments'],
    ['/forecasts', 'Forecasts'],
    ['/models', 'Model quality'],
    ['/actions', 'Next best actions'],
    ['/lift', 'Lift'],
    ['/writeback', 'Write-back'],
    ['/settings', 'Settings'],
  ])('renders %s readably', async (path, title) => {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${path}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${path}: ${e.message}`));
    const res = await page.goto(`${fixture.url}/dashboard/t/${fixture.mine}${path}`);
    expect(res?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe(title);
    const charts = await page.locator('canvas[data-chart]').count();
    expect(await page.locator('canvas[data-drawn="true"]').count()).toBe(charts);
    expectReadable(await page.locator('main, body').first().innerText());
    await page.close();
  });

  it('names the org as a Salesforce tenant and offers its API share', async () => {
    const page = await context.newPage();
    await page.goto(`${fixture.url}/dashboard/t/${fixture.mine}/settings`);
    expect(await page.locator('body').innerText()).toMatch(/Salesforce/);
    expect(await page.locator('#apiShare').count()).toBe(1);
    await page.close();
  });

  it('logged no console errors on any page', () => {
    expect(problems).toEqual([]);
  });
});
