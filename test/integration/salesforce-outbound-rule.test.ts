import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OUTBOUND_ACK } from '../../sandbox/salesforce/outbound-messages.js';
import type { Tenant } from '../../src/domain/tenant.js';
import { outboundRuleFormula } from '../../src/install/outbound-rule.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import type { Runtime } from '../../src/main.js';
import { runSync } from '../../src/sync/run-sync.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { connectWithOAuth, salesforceRuntime, startSandbox } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/temp-dir.js';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

/**
 * The org's outbound messages sent by the rule crm-agent describes (every save but those of its integration user):
 * a whole cycle's write-back sends none, a rep's edit right after it sends one.
 */
describe('Salesforce outbound messages leave out crm-agent’s own writes', () => {
  const dir = tempDir();
  const clock = new FixedClock(Date.parse('2026-11-02T08:00:00.000Z'));
  let sandbox: Sandbox;
  let runtime: Runtime;
  let tenant: Tenant;
  let receiver: Server;
  const received: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        received.push(body);
        res.writeHead(200, { 'content-type': 'text/xml' }).end(OUTBOUND_ACK);
      });
    }).listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    sandbox = await startSandbox({ clock, seed: 17, accounts: 20, contacts: 200, opportunities: 80 });
    runtime = await salesforceRuntime(dir.path, sandbox, { clock });
    tenant = await connectWithOAuth(runtime, sandbox);
  }, 60_000);
  afterAll(async () => {
    await runtime.close();
    await sandbox.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    dir.remove();
  });

  it('a cycle’s write-back sends no outbound message; a rep’s edit of a written opportunity sends one', async () => {
    const formula = await outboundRuleFormula(runtime, tenant);
    expect(formula).toBe(`CASESAFEID($User.Id) <> "${sandbox.ids.apiUserId}"`);
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/outbound`;
    const messenger = sandbox.configureOutboundMessage(url, { ruleFormula: formula });

    await runSync(runtime, {
      tenantId: tenant.id,
      connector: runtime.connectorFor(tenant),
      mode: 'full',
      trigger: 'test',
    });
    clock.advance(60_000);
    const cycle = await runCycle(runtime, { tenantId: tenant.id, mode: 'incremental', trigger: 'test' });
    expect(cycle.status).toBe('succeeded');
    expect(cycle.writeBack!.send).toMatchObject({ failed: 0, dead: 0, retrying: 0 });
    const writes = cycle.writeBack!.plan!.fields;
    const written = new Set(writes.map((f) => f.recordId));
    expect(written.size).toBeGreaterThan(50);
    await messenger.idle();
    // Every record written was saved by crm-agent's user, and the rule left each of those saves out.
    expect(messenger.filtered).toBeGreaterThanOrEqual(written.size);
    expect(messenger.deliveries).toEqual([]);
    expect(received).toEqual([]);

    const dealId = writes.find((f) => f.objectType === 'deal')!.recordId;
    sandbox.control.edit({ object: 'Opportunity', ids: [dealId], fields: { Amount: 54_321 } });
    await messenger.idle();
    expect(messenger.deliveries.map((d) => [d.object, d.notificationIds.length, d.acknowledged])).toEqual([
      ['Opportunity', 1, true],
    ]);
    expect(received).toEqual([expect.stringContaining(`<sf:Id>${dealId}</sf:Id>`)]);
  }, 180_000);
});
