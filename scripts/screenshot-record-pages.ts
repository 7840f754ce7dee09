/**
 * Takes the README's pictures of the rep's view: the demo (`bin/crm-agent.js demo`, built first with `npm run build`)
 * on free ports, then each sandbox record page it prints, in headless Chromium.
 * `npm run build && npx tsx scripts/screenshot-record-pages.ts`.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../test/helpers/browser.js';
import { spawnProcess } from '../test/helpers/spawn.js';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const dataDir = mkdtempSync(join(tmpdir(), 'crm-agent-shots-'));
const ports = [await freePort(), await freePort(), await freePort()];
const demo = spawnProcess(
  process.execPath,
  [
    'bin/crm-agent.js',
    'demo',
    `--port=${ports[0]}`,
    `--hubspot-port=${ports[1]}`,
    `--salesforce-port=${ports[2]}`,
    '--contacts=400',
    '--activity-seconds=0',
  ],
  { DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
);
const browser = await launchChromium();
try {
  await demo.waitFor(/Ctrl-C stops\./);
  for (const [, crm, what, url] of demo.stdout().matchAll(/^ {2}(HubSpot|Salesforce) (\w+): (http:\/\/\S+)$/gm)) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(url!);
    if (crm === 'Salesforce')
      await page.frameLocator('iframe#canvas-0').locator('#score, #not-scored').first().waitFor();
    const path = `docs/images/record-${crm!.toLowerCase()}-${what}.png`;
    await page.screenshot({ path });
    console.log(path);
    await page.close();
  }
} finally {
  await browser.close();
  await demo.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
