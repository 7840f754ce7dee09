/**
 * Takes the README's pictures of the dashboard: a served dashboard with real results (the test fixture: a
 * planted world after two cycles) in headless Chromium. `npx tsx scripts/screenshot-dashboard.ts`.
 */
import { launchChromium } from '../test/helpers/browser.js';
import { dashboardFixture } from '../test/helpers/dashboard-fixture.js';

const PAGES: Array<[string, string]> = [
  ['', 'overview'],
  ['/segments', 'segments'],
  ['/forecasts', 'forecasts'],
  ['/models', 'models'],
  ['/actions', 'actions'],
  ['/writeback', 'writeback'],
];

const fixture = await dashboardFixture();
const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
  await context.addCookies([{ ...fixture.sessionCookie, url: fixture.url }]);
  for (const [path, name] of PAGES) {
    const page = await context.newPage();
    await page.goto(`${fixture.url}/dashboard/t/${fixture.mine}${path}`);
    const charts = await page.locator('canvas[data-chart]').count();
    if (charts > 0) await page.waitForSelector(`canvas[data-drawn="true"] >> nth=${charts - 1}`);
    await page.screenshot({ path: `docs/images/dashboard-${name}.png` });
    console.log(`docs/images/dashboard-${name}.png`);
    await page.close();
  }
} finally {
  await browser.close();
  await fixture.close();
}
