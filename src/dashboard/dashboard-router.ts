import { timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Request, type Response, Router } from 'express';
import type { AppManifest } from '../config/app-manifest.js';
import { tenantCurrency } from '../domain/crm-currency.js';
import type { Tenant } from '../domain/tenant.js';
import { describeProblem, effectiveSettings, parseTenantSettings } from '../domain/tenant-settings.js';
import type { DataHealth } from '../engine/types.js';
import {
  type AdminContext,
  endAdminSession,
  hasCsrfToken,
  readAdminSession,
  requireAdmin,
  startAdminSession,
} from '../http/session/admin-session.js';
import { sha256 } from '../install/pkce.js';
import { scheduleOf } from '../jobs/scheduler.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { packageRoot } from '../lib/package-root.js';
import type { Store } from '../store/open-store.js';
import { SIGNED_IN_STATUSES } from '../store/repositories/admin-sessions.js';
import { measureStoreSize } from '../store/store-size.js';
import { actionQueryOf } from './action-query.js';
import { actionsCsv } from './actions-csv.js';
import { type Html, html } from './html.js';
import { liveVersion } from './live-version.js';
import { formValuesOf, readSettingsForm } from './settings-form.js';
import { type LayoutContext, layout, type NavKey } from './views/layout.js';
import { overviewPage } from './views/overview-page.js';
import { runPage } from './views/run-page.js';
import { type SettingsMessage, settingsPage } from './views/settings-page.js';

export interface DashboardDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  manifest: AppManifest;
  /** Applies changed settings at once (reschedules the tenant). */
  onSettingsChanged: (tenant: Tenant) => Promise<void>;
  /**
   * Demo only: a one-time token whose link signs the visitor in to every tenant (the demo installs them itself,
   * so nobody went through the install in a browser). Absent in every other setup.
   */
  demoSignInToken?: string;
  /** Secure session cookies (the public URL is https). */
  secureCookies?: boolean;
  /** Extra pages (results views) keyed by nav entry; each renders the body for a tenant. */
  pages?: Partial<Record<NavKey, (tenant: Tenant, req: Request) => Promise<Html>>>;
}

/** Browser files the dashboard serves from crm-agent's own install: no CDN, no build step. */
const STATIC_FILES: Record<string, string> = {
  'chart.umd.js': 'node_modules/chart.js/dist/chart.umd.js',
  'mermaid.min.js': 'node_modules/mermaid/dist/mermaid.min.js',
  'dashboard.js': 'src/dashboard/static/dashboard.js',
};

/**
 * The admin dashboard, under the manifest's settings path. Only signed-in admins (the session cookie set at the
 * end of an OAuth install) see it, and only for the tenants they installed; forms carry the session's CSRF token.
 */
export function createDashboardRouter(deps: DashboardDeps): Router {
  const router = Router();
  const base = deps.manifest.settingsPath;
  const root = packageRoot();
  const gate = requireAdmin(deps.store);

  // Browsers ask for an icon on every page; a tiny SVG spares a 404 per page.
  router.get(['/favicon.ico', `${base}/static/favicon.svg`], (_req, res) => {
    res
      .type('image/svg+xml')
      .set('Cache-Control', 'max-age=86400')
      .send(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#2f6fed"/><path d="M4 11l3-4 2 2 3-5" stroke="#fff" stroke-width="1.6" fill="none"/></svg>',
      );
  });

  router.get(`${base}/static/:file`, (req, res) => {
    const name = req.params.file as string;
    // Own keys only: `__proto__` or `constructor` must not reach Object.prototype's members.
    const relative = Object.hasOwn(STATIC_FILES, name) ? STATIC_FILES[name] : undefined;
    const file = relative && join(root, relative);
    if (!file || !existsSync(file)) {
      res.status(404).type('text/plain').send('Not found.');
      return;
    }
    res.sendFile(file, { maxAge: '1h' });
  });

  const session = { store: deps.store, clock: deps.clock, secure: deps.secureCookies === true };
  let demoToken = deps.demoSignInToken;
  let usedDemoTokenHash: string | undefined;
  router.get(`${base}/demo-sign-in`, async (req, res) => {
    const given = typeof req.query.token === 'string' ? req.query.token : '';
    if (!demoToken || given === '' || !safeEqualText(given, demoToken)) {
      // Used (410) or unknown: printed by an earlier start of the demo, or mistyped (401). Say how to get a new one.
      const used = usedDemoTokenHash !== undefined && given !== '' && safeEqualText(sha256(given), usedDemoTokenHash);
      res
        .status(used ? 410 : 401)
        .type('html')
        .send(signInLinkPage(deps.manifest, used, deps.demoSignInToken !== undefined));
      return;
    }
    demoToken = undefined; // one use
    usedDemoTokenHash = sha256(given);
    const tenants = (await deps.store.tenants.list()).filter((t) => SIGNED_IN_STATUSES.includes(t.status));
    await startAdminSession(
      req,
      res,
      session,
      tenants.map((t) => t.id),
      { carryOver: false },
    );
    res.redirect(303, base);
  });

  router.get(base, async (req, res) => {
    const admin = await readAdminSession(req, deps.store, res);
    if (!admin) {
      res.status(401).type('html').send(signInPage(deps.manifest));
      return;
    }
    // Right after an install, its tenant; else the newest the session has.
    const installed = typeof req.query.installed === 'string' ? req.query.installed : undefined;
    const tenantId = installed && admin.tenantIds.includes(installed) ? installed : admin.tenantIds.at(-1);
    res.redirect(303, `${base}/t/${tenantId}`);
  });

  // Sign-out: a POST with the session's CSRF token (no GET, so no link or image can sign anyone out); the session
  // is deleted server-side and the cookie cleared. Without a live session there is nothing to protect: just clear.
  router.post(`${base}/sign-out`, express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const admin = await readAdminSession(req, deps.store, res);
    if (admin && !hasCsrfToken(req, admin)) {
      res.status(403).type('text/plain').send('Missing or wrong CSRF token: reload the page and try again.');
      return;
    }
    await endAdminSession(req, res, deps.store);
    res.redirect(303, `${base}/signed-out`);
  });

  router.get(`${base}/signed-out`, (_req, res) => {
    res.type('html').send(signedOutPage(deps.manifest));
  });

  const render = async (
    req: Request,
    res: Response,
    active: NavKey,
    title: string,
    body: (tenant: Tenant, admin: AdminContext) => Promise<Html>,
  ) => {
    const admin = res.locals.admin as AdminContext;
    const tenant = await deps.store.tenants.get(String(req.params.tenantId));
    if (!tenant) {
      res.status(404).type('text/plain').send('Not found.');
      return;
    }
    const tenants = (await Promise.all(admin.tenantIds.map((id) => deps.store.tenants.get(id)))).filter(
      (t): t is Tenant => t !== undefined,
    );
    const ctx: LayoutContext = {
      base,
      tenant,
      tenants,
      active,
      title,
      csrfToken: admin.csrfToken,
      ...(active === 'settings' ? {} : { liveVersion: await liveVersion(deps.store, tenant.id) }),
    };
    res.type('html').send(layout(ctx, await body(tenant, admin)).value);
  };

  router.get(`${base}/t/:tenantId`, gate, (req, res) =>
    render(req, res, 'overview', 'Overview', async (tenant) => {
      const runs = await deps.store.runs.list(tenant.id, 30);
      const credentials = await deps.store.credentials.get(tenant.id);
      const midnight = new Date(deps.clock.now());
      midnight.setUTCHours(0, 0, 0, 0);
      const today = runs.filter((r) => Date.parse(r.startedAt) >= midnight.getTime());
      const sum = (key: string) =>
        today.reduce((a, r) => a + (typeof r.summary[key] === 'number' ? (r.summary[key] as number) : 0), 0);
      // Both read from the store, not from the last 30 runs (webhook recomputes soon outnumber the syncs).
      const lastSyncId = await deps.store.overview.lastSyncRunId(tenant.id);
      const lastSync = lastSyncId ? await deps.store.runs.get(lastSyncId) : undefined;
      const callsToday = await deps.store.overview.callsSince(tenant.id, midnight.toISOString());
      const share = runs.find((r) => typeof r.summary.allocationShare === 'number')?.summary.allocationShare as
        | number
        | undefined;
      const schedule = scheduleOf(tenant);
      return overviewPage({
        tenantStatus: tenant.status,
        reinstallUrl: deps.manifest.crms[tenant.crm].installPath,
        token: credentials ? { kind: credentials.kind, expiresAt: credentials.expiresAt } : null,
        lastSync,
        crmName: tenant.crm === 'hubspot' ? 'HubSpot' : 'Salesforce',
        requestsToday: callsToday,
        throttledToday: sum('throttled'),
        allocationShare: share ?? null,
        runs,
        runLink: (run) => `${base}/t/${tenant.id}/runs/${run.id}`,
        nextSlots:
          tenant.status === 'active' ? Object.entries(schedule).map(([kind, pattern]) => ({ kind, pattern })) : [],
        storage: await measureStoreSize(deps.store, tenant.id),
      });
    }),
  );

  router.get(`${base}/t/:tenantId/runs/:runId`, gate, async (req, res) => {
    const run = await deps.store.runs.get(String(req.params.runId));
    if (!run || run.tenantId !== req.params.tenantId) {
      res.status(404).type('text/plain').send('Not found.');
      return;
    }
    await render(req, res, 'overview', `Run ${run.kind}`, async () =>
      runPage(run, await deps.store.runs.stages(run.id), {
        report: await deps.store.results.readArtifact<DataHealth>(run.id, 'health'),
        dataLink: `${base}/t/${run.tenantId}/data`,
      }),
    );
  });

  router.get(`${base}/t/:tenantId/settings`, gate, (req, res) =>
    render(req, res, 'settings', 'Settings', async (tenant, admin) => {
      const { settings, problems } = parseTenantSettings(tenant.settings);
      // Saved just now, or stored values that are not in force (each replaced by its default): say which.
      const message: SettingsMessage | null = req.query.saved
        ? { kind: 'ok', text: 'Settings saved.' }
        : problems.length > 0
          ? {
              kind: 'warn',
              text: 'Some stored settings are not valid: crm-agent uses the value named instead of each.',
              lines: problems.map(describeProblem),
            }
          : null;
      return settingsPage({
        values: formValuesOf(settings),
        crm: tenant.crm,
        csrfToken: admin.csrfToken,
        action: `${base}/t/${tenant.id}/settings`,
        message,
      });
    }),
  );

  router.post(
    `${base}/t/:tenantId/settings`,
    express.urlencoded({ extended: false, limit: '16kb' }),
    gate,
    async (req, res) => {
      const tenantId = String(req.params.tenantId);
      const tenant = await deps.store.tenants.get(tenantId);
      if (!tenant) {
        res.status(404).type('text/plain').send('Not found.');
        return;
      }
      const form = req.body as Record<string, string | undefined>;
      const read = readSettingsForm(form, effectiveSettings(tenant.settings), tenant.crm);
      if (!read.changes) {
        // Nothing saved; the form comes back as it was sent, each refused field with its own message.
        const messages = Object.values(read.errors);
        res.status(400);
        await render(req, res, 'settings', 'Settings', async (_tenant, admin) =>
          settingsPage({
            values: read.values,
            crm: tenant.crm,
            csrfToken: admin.csrfToken,
            action: `${base}/t/${tenantId}/settings`,
            message: {
              kind: 'error',
              text: `Not saved: ${messages.length === 1 ? 'one value needs' : `${messages.length} values need`} a change.`,
              lines: messages,
            },
            errors: read.errors,
          }),
        );
        return;
      }
      // Other stored keys stay (a connector's other settings); the old top-level budgetShare goes: the API share is
      // salesforce.apiShare, the setting the Salesforce connector reads.
      const { budgetShare: _migrated, ...kept } = tenant.settings;
      const saved = read.changes;
      const { salesforce, ...changes } = saved;
      const settings: Record<string, unknown> = { ...kept, ...changes };
      if (salesforce) settings.salesforce = { ...(isRecord(kept.salesforce) ? kept.salesforce : {}), ...salesforce };
      await deps.store.transaction(async (tx) => {
        await tx.tenants.updateSettings(tenantId, settings);
        await tx.audit.append({ tenantId, actor: 'admin', action: 'settings.changed', detail: saved });
      });
      await deps.onSettingsChanged({ ...tenant, settings });
      res.redirect(303, `${base}/t/${tenantId}/settings?saved=1`);
    },
  );

  // What an open page polls to know whether its figures moved (see `liveVersion`).
  router.get(`${base}/t/:tenantId/live`, gate, async (req, res) => {
    res.set('Cache-Control', 'no-store').json({ version: await liveVersion(deps.store, String(req.params.tenantId)) });
  });

  router.get(`${base}/t/:tenantId/actions.csv`, gate, async (req, res) => {
    const tenantId = String(req.params.tenantId);
    const runId = await deps.store.results.latestRunId(tenantId);
    const segments = runId ? await deps.store.results.segments(runId) : [];
    const tenant = await deps.store.tenants.get(tenantId);
    const body = await actionsCsv(
      deps.store,
      tenantId,
      actionQueryOf(req.query as Record<string, unknown>),
      new Map(segments.map((s) => [s.segmentKey, s.name])),
      tenant ? tenantCurrency(tenant.settings).currency : undefined,
    );
    const day = new Date(deps.clock.now()).toISOString().slice(0, 10);
    res
      .type('text/csv; charset=utf-8')
      .set('Content-Disposition', `attachment; filename="next-best-actions-${day}.csv"`)
      .send(body);
  });

  for (const [key, page] of Object.entries(deps.pages ?? {})) {
    const nav = key as NavKey;
    const title =
      {
        data: 'Data health',
        segments: 'Segments',
        forecasts: 'Forecasts',
        models: 'Model quality',
        actions: 'Next best actions',
        lift: 'Lift',
        writeback: 'Write-back',
      }[nav as string] ?? nav;
    router.get(`${base}/t/:tenantId/${nav}`, gate, (req, res) =>
      render(req, res, nav, title, (tenant) => page!(tenant, req)),
    );
  }
  return router;
}

function signInPage(manifest: AppManifest): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in · crm-agent</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto"><h1>crm-agent</h1>
<p>The dashboard opens for the admin who installs crm-agent into their CRM.</p>
<ul><li><a href="${manifest.crms.hubspot.installPath}">Install into HubSpot</a></li><li><a href="${manifest.crms.salesforce.installPath}">Install into Salesforce</a></li></ul></body></html>`
    .value;
}

function signedOutPage(manifest: AppManifest): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out · crm-agent</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto"><h1>Signed out</h1>
<p id="signed-out">You are signed out of the crm-agent dashboard.</p>
<p>To sign in again, install (or reinstall) crm-agent from your CRM:</p>
<ul><li><a href="${manifest.crms.hubspot.installPath}">Install into HubSpot</a></li><li><a href="${manifest.crms.salesforce.installPath}">Install into Salesforce</a></li></ul></body></html>`
    .value;
}

/** The answer to a demo sign-in link that no longer works: why, and how to get a new one. */
function signInLinkPage(manifest: AppManifest, used: boolean, demo: boolean): string {
  const why = used
    ? 'This sign-in link was already used: each link signs in once.'
    : 'This sign-in link is not valid: it has expired (crm-agent restarted since it was printed) or was mistyped.';
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in link ${used ? 'used' : 'expired'} · crm-agent</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto"><h1>Sign-in link ${used ? 'already used' : 'expired'}</h1>
<p id="sign-in-link">${why}</p>
<p>${demo ? 'The demo prints a new one-time link each time it starts: stop it (Ctrl-C) and run ' : 'Start the demo to get a one-time link: '}<code>npm start</code> (or <code>npx crm-agent demo</code>) again, then open the <q>Dashboard:</q> link it prints.</p>
<p>Outside the demo, the dashboard opens for the admin who installs crm-agent from their CRM:</p>
<ul><li><a href="${manifest.crms.hubspot.installPath}">Install into HubSpot</a></li><li><a href="${manifest.crms.salesforce.installPath}">Install into Salesforce</a></li></ul></body></html>`
    .value;
}

/** A comma-separated form value as its items. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function safeEqualText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
