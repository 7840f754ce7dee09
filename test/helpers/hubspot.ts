import { join } from 'node:path';
import type { PortalExport } from '../../sandbox/hubspot/control.js';
import {
  createHubSpotSandbox,
  type HubSpotSandbox,
  type HubSpotSandboxOptions,
} from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import type { ObjectTypeName } from '../../sandbox/hubspot/object-types.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { ObjectType } from '../../src/domain/records.js';
import type { Tenant } from '../../src/domain/tenant.js';
import { connectWithToken } from '../../src/install/connect-with-token.js';
import type { Clock } from '../../src/lib/clock.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import type { CrmConnector, SyncMode } from '../../src/ports/crm-connector.js';
import { runSync, type SyncOptions, type SyncSummary } from '../../src/sync/run-sync.js';
import { tempDir } from './temp-dir.js';

export const TEST_KEY = Buffer.alloc(32, 9).toString('base64');

/** A listening in-process sandbox. */
export async function startSandbox(options: HubSpotSandboxOptions): Promise<{ sb: HubSpotSandbox; url: string }> {
  const sb = createHubSpotSandbox({ asOf: '2026-11-01', ...options });
  const url = await sb.listen();
  return { sb, url };
}

export interface Harness {
  runtime: Runtime;
  tenant: Tenant;
  /** A connector for the tenant as stored now (settings included). */
  connector(): CrmConnector;
  sync(mode: SyncMode, options?: Partial<SyncOptions>): Promise<SyncSummary>;
  close(): Promise<void>;
}

/**
 * crm-agent's runtime on a fresh store (SQLite in a temp dir unless `databaseUrl`), connected to the sandbox with
 * its private-app token (or with OAuth tokens when `oauth`), sharing `clock` with the sandbox.
 */
export async function connectHarness(
  sb: HubSpotSandbox,
  url: string,
  options: {
    clock: Clock;
    fetch?: typeof fetch;
    databaseUrl?: string;
    settings?: Record<string, unknown>;
    oauth?: boolean;
    /** More configuration (e.g. job expiry for pg-boss). */
    env?: Record<string, string>;
  },
): Promise<Harness> {
  const dir = tempDir();
  const config = loadConfig({
    env: {
      DATA_DIR: dir.path,
      LOG_LEVEL: 'silent',
      CRM_AGENT_ENCRYPTION_KEY: TEST_KEY,
      HUBSPOT_API_URL: url,
      HUBSPOT_CLIENT_ID: sb.clientId,
      HUBSPOT_CLIENT_SECRET: sb.clientSecret,
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
      ...options.env,
    },
    cwd: dir.path,
    readDotEnv: false,
  });
  const runtime = await createRuntime(config, {
    clock: options.clock,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  await runtime.store.migrate();
  let tenant: Tenant;
  if (options.oauth) {
    const issued = sb.control.issueTokens();
    tenant = await runtime.store.tenants.upsert({
      crm: 'hubspot',
      externalId: String(sb.portalId),
      name: 'oauth portal',
      apiBaseUrl: url,
    });
    await runtime.credentials().save(tenant.id, {
      kind: 'oauth',
      accessToken: issued.accessToken,
      refreshToken: issued.refreshToken,
      expiresAt: new Date(options.clock.now() + issued.expiresIn * 1000).toISOString(),
      scopes: [],
    });
  } else {
    tenant = await connectWithToken(runtime, { crm: 'hubspot', token: sb.token, apiBaseUrl: url });
  }
  if (options.settings) {
    await runtime.store.db
      .updateTable('tenants')
      .set({ settings: JSON.stringify(options.settings) })
      .where('id', '=', tenant.id)
      .execute();
    tenant = (await runtime.store.tenants.get(tenant.id))!;
  }
  const harness: Harness = {
    runtime,
    tenant,
    connector: () => runtime.connectorFor(tenant),
    sync: (mode, extra = {}) =>
      runSync(runtime, { tenantId: tenant.id, connector: harness.connector(), mode, trigger: 'test', ...extra }),
    async close() {
      await runtime.close();
      dir.remove();
    },
  };
  return harness;
}

const TYPES: Array<[ObjectTypeName, ObjectType]> = [
  ['contacts', 'contact'],
  ['companies', 'company'],
  ['deals', 'deal'],
  ['line_items', 'line_item'],
  ['products', 'product'],
];

/** Fields compared besides `updatedAt` (every change moves it): the CRM property → the canonical field. */
const FIELDS: Record<string, Array<[string, string, 'text' | 'number']>> = {
  contact: [
    ['email', 'email', 'text'],
    ['firstname', 'firstName', 'text'],
    ['lastname', 'lastName', 'text'],
    ['lifecyclestage', 'lifecycleStage', 'text'],
    ['jobtitle', 'jobTitle', 'text'],
  ],
  company: [
    ['name', 'name', 'text'],
    ['domain', 'domain', 'text'],
    ['numberofemployees', 'employees', 'number'],
  ],
  deal: [
    ['dealname', 'name', 'text'],
    ['amount', 'amount', 'number'],
    ['dealstage', 'stage', 'text'],
  ],
  line_item: [
    ['quantity', 'quantity', 'number'],
    ['price', 'unitPrice', 'number'],
  ],
  product: [
    ['name', 'name', 'text'],
    ['price', 'unitPrice', 'number'],
  ],
};

const PAIRS: Array<[string, ObjectType, ObjectType]> = [
  ['contacts:companies', 'contact', 'company'],
  ['deals:contacts', 'deal', 'contact'],
  ['deals:companies', 'deal', 'company'],
  ['deals:line_items', 'deal', 'line_item'],
  ['line_items:deals', 'line_item', 'deal'],
];

export interface Difference {
  missing: number;
  extra: number;
  stale: number;
  examples: string[];
}

/**
 * The local copy against the portal: live records missing locally, live locally but gone from the portal, and
 * present in both but different (updatedAt or a compared field); associations likewise, as (from, to) pairs.
 */
export async function compareWithPortal(sb: HubSpotSandbox, harness: Harness): Promise<Record<string, Difference>> {
  const portal: PortalExport = sb.control.export();
  const { store } = harness.runtime;
  const tenantId = harness.tenant.id;
  const out: Record<string, Difference> = {};
  const live = new Map<ObjectType, Set<string>>();
  for (const [apiType, type] of TYPES) {
    const diff: Difference = { missing: 0, extra: 0, stale: 0, examples: [] };
    const expected = new Map(portal.records[apiType].map((r) => [r.id, r]));
    const local = new Map(
      (await store.records.list(tenantId, type)).map((r) => [r.id, r as unknown as Record<string, unknown>]),
    );
    live.set(type, new Set(expected.keys()));
    for (const [id, record] of expected) {
      const mine = local.get(id);
      if (!mine) {
        diff.missing++;
        if (diff.examples.length < 5) diff.examples.push(`missing ${type} ${id}`);
        continue;
      }
      const stale =
        mine.updatedAt !== record.updatedAt ||
        (FIELDS[type] ?? []).some(([property, field, kind]) => {
          const raw = record.properties[property];
          const want = raw === undefined ? null : kind === 'number' ? Number(raw) : raw;
          return mine[field] !== want;
        });
      if (stale) {
        diff.stale++;
        if (diff.examples.length < 5) diff.examples.push(`stale ${type} ${id}`);
      }
    }
    for (const id of local.keys()) {
      if (!expected.has(id)) {
        diff.extra++;
        if (diff.examples.length < 5) diff.examples.push(`extra ${type} ${id}`);
      }
    }
    out[type] = diff;
  }
  for (const [key, from, to] of PAIRS) {
    const diff: Difference = { missing: 0, extra: 0, stale: 0, examples: [] };
    const expected = new Set(
      // HubSpot's association reads leave out links to archived records.
      (portal.associations[key] ?? [])
        .filter(([f, t]) => live.get(from)!.has(f) && live.get(to)!.has(t))
        .map(([f, t]) => `${f}>${t}`),
    );
    const local = new Set(
      (await store.records.listAssociations(tenantId, from, to))
        .filter((a) => live.get(from)!.has(a.fromId) && live.get(to)!.has(a.toId))
        .map((a) => `${a.fromId}>${a.toId}`),
    );
    for (const pair of expected) if (!local.has(pair)) diff.missing++;
    for (const pair of local) if (!expected.has(pair)) diff.extra++;
    out[key] = diff;
  }
  // A merged-away record stays locally, archived, pointing at the record it lives on in.
  const merged: Difference = { missing: 0, extra: 0, stale: 0, examples: [] };
  for (const [apiType, type] of TYPES) {
    for (const [from, into] of Object.entries(portal.merged[apiType])) {
      const mine = await store.records.get(tenantId, type, from);
      if (mine && (!mine.archived || mine.mergedInto !== into)) {
        merged.stale++;
        if (merged.examples.length < 5) merged.examples.push(`${type} ${from} should be merged into ${into}`);
      }
    }
  }
  out.merged = merged;
  return out;
}

/** Every difference zero? (Returns the non-zero ones, for a readable failure.) */
export function nonZero(diffs: Record<string, Difference>): Record<string, Difference> {
  return Object.fromEntries(Object.entries(diffs).filter(([, d]) => d.missing + d.extra + d.stale > 0));
}

export function tempDataDir(): { path: string; remove: () => void; db: string } {
  const dir = tempDir();
  return { ...dir, db: join(dir.path, 'crm-agent.db') };
}
