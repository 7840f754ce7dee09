import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateWorld } from '../../sandbox/world/generate-world.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { CrmName } from '../../src/domain/records.js';
import { createApp } from '../../src/http/create-app.js';
import { randomToken, sha256 } from '../../src/install/pkce.js';
import { runCycle } from '../../src/jobs/run-cycle.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { FakeCrmWriter } from './fake-crm-writer.js';
import { FixedClock } from './fixed-clock.js';
import { tempDir } from './temp-dir.js';
import { worldConnectorModule } from './world-connector.js';

/**
 * A served dashboard with real results: two tenants, each after two cycles (so scores have changes and actions
 * have a history), and a session cookie that may see only the first (of `crm`, HubSpot unless told).
 */
export async function dashboardFixture(options: { contacts?: number; crm?: CrmName } = {}): Promise<{
  url: string;
  mine: string;
  theirs: string;
  sessionCookie: { name: string; value: string };
  runtime: Runtime;
  close: () => Promise<void>;
}> {
  const dir = tempDir();
  const clock = new FixedClock(Date.parse('2026-11-01T08:00:00.000Z'));
  const config = loadConfig({ env: { DATA_DIR: dir.path, LOG_LEVEL: 'silent' }, cwd: dir.path, readDotEnv: false });
  const contacts = options.contacts ?? 900;
  const world = (seed: number) =>
    generateWorld({
      seed,
      contacts,
      companies: Math.round(contacts / 6),
      deals: contacts,
      asOf: '2026-11-01T00:00:00.000Z',
    });
  const crm = options.crm ?? 'hubspot';
  const build = async (seed: number) => {
    const runtime = await createRuntime(config, {
      clock,
      logger: silentLogger(),
      modules: { [crm]: worldConnectorModule(world(seed), { writer: () => new FakeCrmWriter(), crm }) },
    });
    await runtime.store.migrate();
    const tenant = await runtime.store.tenants.upsert({
      crm,
      externalId: `portal-${seed}`,
      name: `Portal ${seed}`,
      apiBaseUrl: 'x',
    });
    await runtime
      .credentials()
      .save(tenant.id, { kind: 'static', accessToken: 't', refreshToken: null, expiresAt: null, scopes: [] });
    for (let run = 0; run < 2; run++) {
      clock.advance(86_400_000);
      await runCycle(runtime, { tenantId: tenant.id, mode: 'full', trigger: run === 0 ? 'install' : 'schedule' });
    }
    return { runtime, tenantId: tenant.id };
  };
  const other = await build(32);
  await other.runtime.close();
  const { runtime, tenantId } = await build(31);
  const id = randomToken();
  await runtime.store.sessions.grant(
    sha256(id),
    tenantId,
    randomToken(24),
    new Date(clock.now() + 3_600_000).toISOString(),
  );
  const server: Server = createApp({
    store: runtime.store,
    logger: silentLogger(),
    version: 't',
    routers: runtime.routers(),
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    mine: tenantId,
    theirs: other.tenantId,
    sessionCookie: { name: 'crm_agent_session', value: id },
    runtime,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runtime.close();
      dir.remove();
    },
  };
}
