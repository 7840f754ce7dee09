import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Frame, Page } from 'playwright-core';
import { expectReadable, launchChromium } from '../helpers/browser.js';
import { type Spawned, spawnProcess } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, async () => {
      const server = createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return server;
    }),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

describe("the rep's view: the demo's sandbox record pages in a real browser (headless Chromium)", () => {
  const dir = tempDir();
  let demo: Spawned;
  let browser: Browser;
  const links: Record<string, string> = {};
  const problems: string[] = [];

  beforeAll(async () => {
    const [port, hubspotPort, salesforcePort] = await freePorts(3);
    demo = spawnProcess(
      process.execPath,
      [
        'bin/crm-agent.js',
        'demo',
        `--port=${port}`,
        `--hubspot-port=${hubspotPort}`,
        `--salesforce-port=${salesforcePort}`,
        '--contacts=200',
        '--activity-seconds=0',
      ],
      { DATA_DIR: join(dir.path, 'data'), LOG_LEVEL: 'warn' },
    );
    await demo.waitFor(/Ctrl-C stops\./);
    for (const [, name, url] of demo.stdout().matchAll(/^ {2}((?:HubSpot|Salesforce) \w+): (http:\/\/\S+)$/gm))
      links[name!] = url!;
    browser = await launchChromium();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    dir.remove();
  });

  async function open(url: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${url}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${url}: ${e.message}`));
    const res = await page.goto(url);
    expect(res?.status()).toBe(200);
    return page;
  }

  it('the demo prints both CRMs’ record-page links and the Salesforce token', () => {
    expect(Object.keys(links).sort()).toEqual([
      'HubSpot contact',
      'HubSpot deal',
      'Salesforce contact',
      'Salesforce opportunity',
    ]);
    expect(demo.stdout()).toMatch(/Salesforce sandbox access token: \S+/);
    expect(demo.stdout()).toMatch(/HubSpot sandbox private-app token: \S+/);
  });

  /** The card's content, wherever the CRM renders it: score with reasons, the action with its reason. */
  async function expectCard(card: Page | Frame, options: { recommendations: boolean }): Promise<void> {
    expect(await card.locator('#card-score, #score').first().textContent()).toMatch(
      /^(Win probability|Churn risk|Conversion probability): \d{1,3} ?%/,
    );
    expect(await card.locator('#card-reasons li, #reasons li').count()).toBeGreaterThan(0);
    expect(await card.locator('#card-action, #action').first().textContent()).toMatch(
      /Next best action\s+(high|medium|low)\s+\S/,
    );
    if (options.recommendations)
      expect(await card.locator('#card-recommendations li, #recommendations li').count()).toBeGreaterThan(0);
  }

  it.each([
    ['HubSpot contact', true],
    ['HubSpot deal', false],
  ])(
    '%s page: the record’s properties with crm-agent’s, and the card from its signed data fetch',
    async (name, recs) => {
      const page = await open(links[name]!);
      expect(await page.locator('#record-name').textContent()).not.toBe('');
      const ours = await page.locator('#crm-agent-fields').innerText();
      expect(ours).toContain('Next best action');
      expect(ours).toContain('Top reasons');
      expect(await page.locator('#properties tr').count()).toBeGreaterThan(3);
      const card = page.locator('#sidebar section.card');
      expect(await card.locator('h2').textContent()).toBe('crm-agent');
      await expectCard(page, { recommendations: recs });
      expectReadable(await page.locator('body').innerText());
      await page.close();
    },
  );

  it.each([
    ['Salesforce contact', true],
    ['Salesforce opportunity', false],
  ])(
    '%s page: the record’s fields with crm-agent’s, and the Canvas card from its signed request',
    async (name, recs) => {
      const page = await open(links[name]!);
      const ours = await page.locator('#crm-agent-fields').innerText();
      expect(ours).toContain('Next best action');
      expect(ours).toContain('Top reasons');
      const frame = page.frameLocator('iframe#canvas-0');
      await frame.locator('#score, #not-scored').first().waitFor({ timeout: 60_000 });
      const card = page.frames().find((f) => f.name() === 'canvas-0')!;
      expect(card.url()).toMatch(/\/salesforce\/card$/);
      await expectCard(card, { recommendations: recs });
      expectReadable(await page.locator('body').innerText());
      expectReadable(await card.locator('body').innerText());
      await page.close();
    },
  );

  it('logged no console errors on any record page', () => {
    expect(problems).toEqual([]);
  });
});
