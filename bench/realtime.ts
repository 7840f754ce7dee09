import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { getHeapStatistics } from 'node:v8';
import { createHubSpotSandbox, type HubSpotSandbox } from '../sandbox/hubspot/create-hubspot-sandbox.js';
import { REAL_LIMITS } from '../sandbox/hubspot/limits.js';
import { createSalesforceSandbox, type SalesforceSandbox } from '../sandbox/salesforce/create-salesforce-sandbox.js';
import { loadAppManifest } from '../src/config/app-manifest.js';
import type { Config } from '../src/config/config.js';
import { loadConfig } from '../src/config/load-config.js';
import { followOAuthInstall } from '../src/demo/follow-oauth-install.js';
import { createApp } from '../src/http/create-app.js';
import { securityOptionsFor } from '../src/http/security-headers.js';
import { outboundRuleFormula } from '../src/install/outbound-rule.js';
import { outboundMessageUrl, rotateOutboundSecret } from '../src/install/outbound-secret.js';
import { registerJobs } from '../src/jobs/register-jobs.js';
import { describeError } from '../src/lib/errors.js';
import { appManifestPath } from '../src/lib/package-root.js';
import { createRuntime, type Runtime } from '../src/main.js';
import { hubspotSubscriptions } from '../src/manifest/hubspot-subscriptions.js';
import { RssSampler } from './rss-sampler.js';
import type { Benchmark } from './run.js';

type Crm = 'hubspot' | 'salesforce';

/** The demo's OAuth apps (src/demo/run-demo.ts): the sandboxes know these credentials, as a CRM knows a real app's. */
const APP = {
  hubspot: { clientId: 'crm-agent-demo-hubspot', clientSecret: 'crm-agent-demo-hubspot-secret' },
  salesforce: { clientId: 'crm-agent-demo-salesforce', clientSecret: 'crm-agent-demo-salesforce-secret' },
};

/** Deal stages a rep moves a deal between: an early and a late open stage, so each edit moves the win odds. */
const STAGES = {
  hubspot: ['appointmentscheduled', 'contractsent'],
  salesforce: ['Prospecting', 'Negotiation/Review'],
};
const OPEN = {
  hubspot: new Set([
    'appointmentscheduled',
    'qualifiedtobuy',
    'presentationscheduled',
    'decisionmakerboughtin',
    'contractsent',
  ]),
  salesforce: new Set(['Prospecting', 'Qualification', 'Needs Analysis', 'Proposal/Price Quote', 'Negotiation/Review']),
};

const GOAL_MS = 5000;
/** How long nothing may be pending or running before the rep's first edit. */
const QUIET_MS = 5000;

/** Collects log lines (JSON) so errors can be counted without printing them. */
class Lines extends Writable {
  readonly lines: string[] = [];
  private partial = '';
  isTTY = false;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    const parts = (this.partial + chunk.toString()).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) if (this.lines.length < 10_000) this.lines.push(line);
    callback();
  }
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `done` every 50 ms until it gives a value or `timeoutMs` passes (then undefined). */
async function waitFor<T>(
  done: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
): Promise<T | undefined> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const value = await done();
    if (value !== undefined) return value;
    if (performance.now() >= end) return undefined;
    await sleep(50);
  }
}

/** One CRM, its sandbox seeded with `contacts`, as the rep's edits and crm-agent's fields see it. */
interface Portal {
  url: string;
  /** Open deals/opportunities with a value of crm_agent_scored_at (those scored by the first cycle) first. */
  openDeals(): string[];
  stageOf(id: string): string;
  amountOf(id: string): number;
  scoredAt(id: string): string | undefined;
  /** A rep's edit in the CRM's UI (the sandbox's control API), which fires a webhook / outbound message. */
  edit(id: string, amount: number, stage: string): void;
  /** After crm-agent is up and the tenant installed. */
  connect(runtime: Runtime, appUrl: string, tenantId: string): Promise<void>;
  close(): Promise<void>;
}

function hubspotPortal(contacts: number, appUrl: string): Portal & { sandbox: HubSpotSandbox } {
  const sandbox = createHubSpotSandbox({
    seed: 1,
    contacts,
    companies: Math.max(20, Math.round(contacts / 8)),
    deals: Math.round(contacts * 0.8),
    limits: 'real',
    ...APP.hubspot,
    webhookUrl: `${appUrl}/webhooks/hubspot`,
    // As the app's HubSpot project subscribes: changes of crm-agent's own properties are not sent back.
    subscriptions: hubspotSubscriptions(loadAppManifest(appManifestPath())),
  });
  const deal = (id: string) => sandbox.state.get('deals', Number(id));
  return {
    sandbox,
    url: '',
    openDeals() {
      const open = [...sandbox.state.objects.deals.records.values()].filter(
        (d) => !d.archived && OPEN.hubspot.has(String(d.properties.dealstage)),
      );
      const scored = (d: (typeof open)[number]) => (d.properties.crm_agent_scored_at ? 0 : 1);
      return open.sort((a, b) => scored(a) - scored(b)).map((d) => String(d.id));
    },
    stageOf: (id) => String(deal(id)?.properties.dealstage ?? ''),
    amountOf: (id) => Number(deal(id)?.properties.amount ?? 0),
    scoredAt: (id) => deal(id)?.properties.crm_agent_scored_at ?? undefined,
    edit(id, amount, stage) {
      sandbox.control.edit('deals', Number(id), { amount: String(amount), dealstage: stage });
    },
    async connect() {},
    close: () => sandbox.close(),
  };
}

function salesforcePortal(contacts: number): Portal & { sandbox: SalesforceSandbox } {
  const sandbox = createSalesforceSandbox({
    seed: 2,
    accounts: Math.max(20, Math.round(contacts / 8)),
    contacts,
    opportunities: Math.round(contacts * 0.8),
    limits: 'real',
    ...APP.salesforce,
  });
  const opportunity = (id: string) => sandbox.state.get('Opportunity', id);
  return {
    sandbox,
    url: '',
    openDeals() {
      const open = [...sandbox.state.table('Opportunity').values()].filter(
        (o) => o.IsDeleted !== true && OPEN.salesforce.has(String(o.StageName)),
      );
      const scored = (o: (typeof open)[number]) => (o.CrmAgent_Scored_At__c ? 0 : 1);
      return open.sort((a, b) => scored(a) - scored(b)).map((o) => String(o.Id));
    },
    stageOf: (id) => String(opportunity(id)?.StageName ?? ''),
    amountOf: (id) => Number(opportunity(id)?.Amount ?? 0),
    scoredAt: (id) => {
      const value = opportunity(id)?.CrmAgent_Scored_At__c;
      return value === null || value === undefined ? undefined : String(value);
    },
    edit(id, amount, stage) {
      sandbox.control.edit({ object: 'Opportunity', ids: [id], fields: { Amount: amount, StageName: stage } });
    },
    // The admin's step in Salesforce Setup (as the demo does): the outbound message's Endpoint URL is the org's
    // secret URL from crm-agent, with "Send Session ID" on, sent by the rule crm-agent's metadata describes (every
    // save but those of crm-agent's integration user).
    async connect(runtime, appUrl, tenantId) {
      const tenant = await runtime.store.tenants.get(tenantId);
      if (!tenant) throw new Error(`tenant ${tenantId} is gone`);
      const ruleFormula = await outboundRuleFormula(runtime, tenant);
      const secret = await rotateOutboundSecret(runtime.store, tenantId);
      sandbox.configureOutboundMessage(
        outboundMessageUrl(appUrl, runtime.manifest.crms.salesforce.webhookPath, secret),
        { sendSessionId: true, ruleFormula },
      );
    },
    close: () => sandbox.close(),
  };
}

interface Measured {
  /** Peak RSS of this process while the size ran (sandbox and crm-agent share it). */
  rss: number;
}

interface Options {
  edits: number;
  timeoutMs: number;
  cycleTimeoutMs: number;
}

/**
 * One CRM at one size: sandbox, crm-agent started as `serve` starts it (HTTP app with the webhook routes, the
 * scheduler, the in-process job queue with the inbox processor), installed through OAuth, its first full cycle,
 * then the rep's edits. Prints one line; returns the peak RSS, or undefined when it could not be measured.
 */
async function runOne(crm: Crm, contacts: number, options: Options, rss: RssSampler): Promise<Measured | undefined> {
  const label = `${crm.padEnd(10)} ${String(contacts).padStart(9)} contacts:`;
  const from = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'crm-agent-realtime-'));
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const seeding = performance.now();
  const portal = crm === 'hubspot' ? hubspotPortal(contacts, appUrl) : salesforcePortal(contacts);
  const sandboxUrl = await portal.sandbox.listen(0);
  const seeded = (performance.now() - seeding) / 1000;
  const logs = new Lines();
  const base = loadConfig({
    env: { DATA_DIR: dir, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
    cwd: dir,
    readDotEnv: false,
  });
  const config: Config = {
    ...base,
    port,
    publicUrl: appUrl,
    hubspot: {
      ...base.hubspot,
      apiUrl: sandboxUrl,
      authUrl: sandboxUrl,
      ...APP.hubspot,
      previousClientSecrets: [],
      ...(crm === 'hubspot' ? { appId: String((portal.sandbox as HubSpotSandbox).appId) } : {}),
    },
    salesforce: { ...base.salesforce, loginUrl: sandboxUrl, ...APP.salesforce },
  };
  let runtime: Runtime | undefined;
  let server: ReturnType<ReturnType<typeof createApp>['listen']> | undefined;
  try {
    runtime = await createRuntime(config, { logDestination: logs });
    await runtime.store.migrate();
    // As `serve` starts (src/cli/commands/serve.ts): the jobs (inbox processor, cycles, sends), the schedules, the app.
    registerJobs(runtime);
    server = createApp({
      store: runtime.store,
      logger: runtime.logger,
      version: runtime.version,
      routers: runtime.routers(),
      security: securityOptionsFor(runtime.config, runtime.manifest),
    }).listen(port, '127.0.0.1');
    await once(server, 'listening');
    const { tenantId } = await followOAuthInstall(appUrl, runtime.manifest.crms[crm].installPath);
    await portal.connect(runtime, appUrl, tenantId);
    await runtime.scheduler.start();

    // The install queued the tenant's first full cycle.
    const store = runtime.store;
    const cycleStarted = performance.now();
    const first = await waitFor(async () => {
      const run = (await store.runs.list(tenantId, 20)).filter((r) => r.kind === 'cycle').at(-1);
      return run && run.status !== 'running' ? run : undefined;
    }, options.cycleTimeoutMs);
    const cycleSeconds = (performance.now() - cycleStarted) / 1000;
    if (!first) {
      console.log(`${label} FAIL: the first full cycle did not finish within ${options.cycleTimeoutMs / 60_000} min`);
      return { rss: rss.peak(from) };
    }
    if (first.status !== 'succeeded') {
      // A sandbox's 500 names no cause: say what its handler threw.
      const thrown = (portal.sandbox as { stats?: { unexpectedErrors: unknown[] } }).stats?.unexpectedErrors[0];
      console.log(
        `${label} FAIL: the first full cycle ${first.status}${first.error ? `: ${first.error}` : ''}` +
          (thrown
            ? ` (the sandbox threw: ${String((thrown as Error).stack ?? thrown)
                .split('\n')
                .slice(0, 3)
                .join(' | ')})`
            : ''),
      );
      return { rss: rss.peak(from) };
    }
    const [dealId] = portal.openDeals();
    if (!dealId) {
      console.log(`${label} FAIL: no open deal to edit`);
      return { rss: rss.peak(from) };
    }
    // The first cycle's own writes come back as webhooks / outbound messages and are processed like edits: wait
    // until nothing is pending or running for QUIET_MS, so each edit is timed on an idle app.
    const settleStarted = performance.now();
    let busyAt = performance.now();
    const quiet = await waitFor(async () => {
      const pending = (await store.inbox.tenantsWithPending()).length > 0;
      const running = (await store.runs.list(tenantId, 5)).some((r) => r.status === 'running');
      if (pending || running) busyAt = performance.now();
      return performance.now() - busyAt >= QUIET_MS ? true : undefined;
    }, options.cycleTimeoutMs);
    const settleSeconds = (performance.now() - settleStarted) / 1000 - QUIET_MS / 1000;
    if (!quiet) {
      console.log(
        `${label} FAIL: the echoes of the first cycle's writes were still processed after ${options.cycleTimeoutMs / 60_000} min`,
      );
      return { rss: rss.peak(from) };
    }

    const latencies: number[] = [];
    const paths = new Set<string>();
    const stageNames = STAGES[crm];
    const spans = { stored: [] as number[], started: [] as number[], ran: [] as number[] };
    let lastStages: Array<{ stage: string; startedAt: string; finishedAt: string | null }> = [];
    let failure: string | undefined;
    for (let k = 0; k < options.edits; k++) {
      const before = portal.scoredAt(dealId);
      const stage = stageNames[(stageNames.indexOf(portal.stageOf(dealId)) + 1) % 2] ?? stageNames[0]!;
      const amount = Math.max(1000, Math.round(portal.amountOf(dealId) * (k % 2 === 0 ? 3 : 1 / 3)));
      const editedAt = new Date().toISOString();
      const t0 = performance.now();
      portal.edit(dealId, amount, stage);
      const scored = await waitFor(() => {
        const now = portal.scoredAt(dealId);
        return now !== undefined && now !== before ? now : undefined;
      }, options.timeoutMs);
      const ms = performance.now() - t0;
      // What scored it: the runs started since the edit (a webhook recompute names its path when it has one).
      const since = (await store.runs.list(tenantId, 20)).filter((r) => r.startedAt >= editedAt);
      for (const run of since)
        paths.add(
          run.kind === 'recompute'
            ? `recompute${typeof run.summary.path === 'string' ? ` (path ${run.summary.path})` : ' (no path in its summary)'}`
            : `${run.kind} (${run.trigger})`,
        );
      if (scored === undefined) {
        const runs = since
          .reverse()
          .map(
            (r) =>
              `${r.kind} ${r.status}${r.finishedAt ? ` in ${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)} s` : ''}` +
              ` ${JSON.stringify(r.summary)}${r.error ? ` (${r.error})` : ''}`,
          );
        failure =
          `edit ${k + 1} of ${options.edits} (deal ${dealId}) not scored within ${options.timeoutMs / 1000} s; ` +
          `runs since the edit: ${runs.join('; ') || 'none'}`;
        break;
      }
      latencies.push(ms);
      // Where the time went: the edit's first event stored in the inbox, the recompute that followed, its stages.
      const inbox = await store.db
        .selectFrom('webhookInbox')
        .select((eb) => eb.fn.min('receivedAt').as('at'))
        .where('tenantId', '=', tenantId)
        .where('receivedAt', '>=', editedAt)
        .executeTakeFirst();
      // The fields are written before the run is marked finished: wait for it to finish.
      const recompute = await waitFor(async () => {
        const runs = (await store.runs.list(tenantId, 20)).filter((r) => r.startedAt >= editedAt);
        return runs.some((r) => r.status === 'running')
          ? undefined
          : (runs.filter((r) => r.kind === 'recompute').at(0) ?? null);
      }, options.timeoutMs);
      const at = (iso: string | null | undefined) => (iso ? Date.parse(iso) : Number.NaN);
      spans.stored.push(at(inbox?.at) - Date.parse(editedAt));
      spans.started.push(at(recompute?.startedAt) - at(inbox?.at));
      spans.ran.push(at(recompute?.finishedAt) - at(recompute?.startedAt));
      if (recompute) lastStages = await store.runs.stages(recompute.id);
    }
    const errors = logs.lines.filter((l) => l.startsWith('{') && Number(JSON.parse(l).level) >= 50).length;
    const peak = rss.peak(from);
    const figures =
      latencies.length > 0
        ? `p50 ${(quantile(latencies, 0.5) / 1000).toFixed(2)} s, p95 ${(quantile(latencies, 0.95) / 1000).toFixed(2)} s ` +
          `(${latencies.map((ms) => (ms / 1000).toFixed(2)).join(', ')})`
        : 'no edit scored';
    const verdict = failure ? `FAIL: ${failure}` : quantile(latencies, 1) <= GOAL_MS ? 'PASS' : 'FAIL';
    console.log(
      `${label} edit → ${crm === 'hubspot' ? 'crm_agent_scored_at' : 'CrmAgent_Scored_At__c'} ${figures}; ${verdict} ` +
        `(goal: every edit within ${GOAL_MS / 1000} s)`,
    );
    console.log(
      `${''.padEnd(label.length)} ran: ${[...paths].join(', ') || 'nothing'}; seeded in ${seeded.toFixed(0)} s, ` +
        `first cycle ${cycleSeconds.toFixed(0)} s, its echoes processed in ${settleSeconds.toFixed(0)} s; peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB; ${errors} errors logged`,
    );
    if (latencies.length > 0) {
      const median = (values: number[]) => (quantile(values, 0.5) / 1000).toFixed(2);
      const stages = lastStages
        .map(
          (st) => `${st.stage} ${((Date.parse(st.finishedAt ?? '') - Date.parse(st.startedAt)) / 1000).toFixed(1)} s`,
        )
        .join(', ');
      console.log(
        `${''.padEnd(label.length)} medians: edit → event in the inbox ${median(spans.stored)} s, → recompute started ` +
          `${median(spans.started)} s, recompute ${median(spans.ran)} s; last recompute's stages: ${stages || 'none'}`,
      );
    }
    return { rss: peak };
  } catch (error) {
    console.log(`${label} FAIL: ${describeError(error)}`);
    return { rss: rss.peak(from) };
  } finally {
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
    await runtime?.close().catch(() => undefined);
    await portal.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The RSS a size would need, from the sizes measured: a line through the last two, or in proportion to one. */
function project(measured: Map<number, number>, size: number): number | undefined {
  const points = [...measured].sort((a, b) => a[0] - b[0]);
  if (points.length === 0) return undefined;
  if (points.length === 1) return (points[0]![1] * size) / points[0]![0];
  const [[x0, y0], [x1, y1]] = points.slice(-2) as [[number, number], [number, number]];
  return y1 + ((y1 - y0) / (x1 - x0)) * (size - x1);
}

/**
 * `npm run bench -- realtime [--sizes 10000,100000,1000000] [--crms hubspot,salesforce] [--edits 5]
 * [--timeout-seconds 60] [--cycle-timeout-minutes 60]`: for each CRM and size, the sandbox with real limits and
 * that many contacts, crm-agent on the embedded store started as `serve` is, installed and through its first full
 * cycle; then a rep edits one open deal's amount and stage `--edits` times in a row, each timed from the edit
 * until the sandbox's deal carries a new crm_agent_scored_at (HubSpot: signed webhooks; Salesforce: outbound
 * messages). Sandbox and crm-agent share this process (as in the demo). A size whose projected memory exceeds
 * what the machine has free is skipped with a line saying so.
 */
export const realtimeBenchmark: Benchmark = {
  name: 'realtime',
  description:
    "a rep's deal edit → crm-agent's fields rewritten in the CRM, HubSpot webhooks and Salesforce outbound messages, p50/p95 per size",
  async run(args) {
    const value = (name: string) => {
      const i = args.indexOf(`--${name}`);
      return i >= 0 ? args[i + 1] : undefined;
    };
    const number = (name: string, fallback: number) => {
      const raw = value(name);
      const n = raw === undefined ? fallback : Number(raw);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
      return n;
    };
    const sizes = (value('sizes') ?? '10000,100000,1000000').split(',').map(Number);
    if (sizes.some((n) => !Number.isInteger(n) || n <= 0))
      throw new Error(`--sizes must be positive whole numbers separated by commas, got ${value('sizes')}`);
    const crms = (value('crms') ?? 'hubspot,salesforce').split(',') as Crm[];
    const unknown = crms.filter((c) => c !== 'hubspot' && c !== 'salesforce');
    if (unknown.length > 0) throw new Error(`--crms takes hubspot and/or salesforce, got ${unknown.join(', ')}`);
    const options: Options = {
      edits: number('edits', 5),
      timeoutMs: number('timeout-seconds', 60) * 1000,
      cycleTimeoutMs: number('cycle-timeout-minutes', 60) * 60_000,
    };
    console.log(
      `sandboxes with real limits (HubSpot ${REAL_LIMITS.burst.limit} requests per ${REAL_LIMITS.burst.windowMs / 1000} s), ` +
        `companies = contacts ÷ 8, deals = contacts × 0.8; store: embedded SQLite; ${options.edits} edits per CRM and size`,
    );
    const rss = new RssSampler(100);
    const measured: Record<Crm, Map<number, number>> = { hubspot: new Map(), salesforce: new Map() };
    try {
      for (const size of [...sizes].sort((a, b) => a - b)) {
        for (const crm of crms) {
          const need = project(measured[crm], size);
          const have = freemem() + process.memoryUsage.rss();
          if (need !== undefined && need > 0.9 * have) {
            console.log(
              `${crm.padEnd(10)} ${String(size).padStart(9)} contacts: skipped: needs about ${(need / 2 ** 30).toFixed(1)} GiB ` +
                `(projected from the peak RSS at ${[...measured[crm].keys()].join(' and ')} contacts), ` +
                `${(have / 2 ** 30).toFixed(1)} GiB free`,
            );
            continue;
          }
          // RSS counts more than the V8 heap (SQLite's pages, buffers), so this only warns; a heap out of memory
          // ends the whole bench, which `NODE_OPTIONS=--max-old-space-size=…` avoids.
          const heapLimit = getHeapStatistics().heap_size_limit;
          if (need !== undefined && need > heapLimit) {
            console.log(
              `${crm.padEnd(10)} ${String(size).padStart(9)} contacts: note: projected RSS ${(need / 2 ** 30).toFixed(1)} GiB ` +
                `exceeds the V8 heap limit of ${(heapLimit / 2 ** 30).toFixed(1)} GiB (raise it with NODE_OPTIONS=--max-old-space-size=MiB)`,
            );
          }
          const result = await runOne(crm, size, options, rss);
          if (result && result.rss > 0) measured[crm].set(size, result.rss);
        }
      }
    } finally {
      await rss.stop();
    }
  },
};
