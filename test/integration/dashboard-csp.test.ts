import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sha256 } from '../../src/install/pkce.js';
import { launchChromium } from '../helpers/browser.js';
import { dashboardFixture } from '../helpers/dashboard-fixture.js';

/**
 * The dashboard under its Content-Security-Policy in a real browser (headless Chromium): charts, the Mermaid
 * flowchart, the tenant switcher and sign-out all work, and the browser reports no violation.
 */
describe('the dashboard under its Content-Security-Policy', () => {
  let fixture: Awaited<ReturnType<typeof dashboardFixture>>;
  let browser: Browser;
  let context: BrowserContext;
  const problems: string[] = [];

  beforeAll(async () => {
    fixture = await dashboardFixture({ contacts: 240 });
    // This admin installed both tenants: the header shows the switcher.
    await fixture.runtime.store.sessions.grant(
      sha256(fixture.sessionCookie.value),
      fixture.theirs,
      (await fixture.runtime.store.sessions.get(sha256(fixture.sessionCookie.value)))!.csrfToken,
      '2999-01-01T00:00:00.000Z',
    );
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies([{ ...fixture.sessionCookie, url: fixture.url }]);
  }, 300_000);
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
    await page.addInitScript(
      "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    );
    const res = await page.goto(`${fixture.url}/dashboard/t/${fixture.mine}${path}`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    return page;
  }

  it('draws charts and the run flowchart with no CSP violation', async () => {
    for (const path of ['/segments', '/forecasts', '/models']) {
      const page = await open(path);
      const charts = await page.locator('canvas[data-chart]').count();
      expect(charts).toBeGreaterThan(0);
      await page.waitForFunction(`document.querySelectorAll('canvas[data-drawn="true"]').length === ${charts}`, null, {
        timeout: 60_000,
      });
      await page.close();
    }
    const overview = await open('');
    await overview.locator('#runs a').first().click();
    await overview.waitForSelector('body[data-mermaid="drawn"]', { timeout: 60_000 });
    expect(await overview.locator('#workflow svg').count()).toBe(1);
    await overview.close();
    expect(problems).toEqual([]);
  }, 180_000);

  it('switches tenant and signs out with no CSP violation', async () => {
    const page = await open('/settings');
    await Promise.all([
      page.waitForURL(`${fixture.url}/dashboard/t/${fixture.theirs}`, { timeout: 60_000 }),
      page.selectOption('select[data-tenant-switch]', fixture.theirs),
    ]);
    await Promise.all([page.waitForURL(/\/dashboard\/signed-out$/, { timeout: 60_000 }), page.click('#sign-out')]);
    expect(await page.locator('#signed-out').count()).toBe(1);
    expect((await context.cookies()).find((c) => c.name === 'crm_agent_session')).toBeUndefined();
    expect(await fixture.runtime.store.sessions.get(sha256(fixture.sessionCookie.value))).toBeUndefined();
    await page.close();
    expect(problems).toEqual([]);
  }, 180_000);
});
