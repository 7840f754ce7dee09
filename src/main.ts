import { hostname } from 'node:os';
import { createHubSpotModule } from '../connectors/hubspot/index.js';
import { createSalesforceModule } from '../connectors/salesforce/index.js';
import { createWebhookRouter } from '../webhooks/create-webhook-router.js';
import { createHubSpotExtensionRouter } from '../webhooks/hubspot/extension-router.js';
import { createSalesforceCardRouter } from '../webhooks/salesforce/card-router.js';
import { ModelCache } from './analyse/model-cache.js';
import { CredentialStore } from './auth/credential-store.js';
import { resolveKeyring } from './auth/master-key.js';
import { TenantTokenProvider } from './auth/token-provider.js';
import { TokenVault } from './auth/token-vault.js';
import { countRequests } from './budget/count-requests.js';
import { LocalRateLimiter } from './budget/local-rate-limiter.js';
import { PostgresRateLimiter } from './budget/postgres-rate-limiter.js';
import { loadAppManifest } from './config/app-manifest.js';
import type { Config } from './config/config.js';
import { createDashboardRouter } from './dashboard/dashboard-router.js';
import { resultsPages } from './dashboard/results-pages.js';
import { OUTPUT_FIELDS } from './domain/output-fields.js';
import type { CrmName } from './domain/records.js';
import { createInstallRouter } from './install/install-router.js';
import { LocalJobQueue } from './jobs/local-job-queue.js';
import { PgBossJobQueue } from './jobs/pg-boss-job-queue.js';
import { wakeInbox } from './jobs/register-jobs.js';
import { RUN_JOB, Scheduler } from './jobs/scheduler.js';
import { systemClock } from './lib/clock.js';
import { describeError, NotBuiltError } from './lib/errors.js';
import { createLogger } from './lib/logger.js';
import { appManifestPath, readPackageVersion } from './lib/package-root.js';
import type { CrmConnectorModule } from './ports/crm-connector.js';
import type { JobQueue } from './ports/job-queue.js';
import type { Runtime, RuntimeOverrides } from './runtime.js';
import { openStore } from './store/open-store.js';
import { API_CALLS_KEY } from './store/repositories/overview.js';

export type { Runtime, RuntimeOverrides } from './runtime.js';

/** The CRMs crm-agent has connectors for, built from configuration. */
function connectorModules(config: Config): Partial<Record<CrmName, CrmConnectorModule>> {
  return { hubspot: createHubSpotModule(config.hubspot), salesforce: createSalesforceModule(config.salesforce) };
}

/**
 * The composition root: the one place that turns configuration into live dependencies (logger, clock,
 * store, credentials, rate limiter, CRM connectors) and hands them down. Nothing below reads the environment.
 */
export async function createRuntime(config: Config, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  const manifest = loadAppManifest(appManifestPath());
  const clock = overrides.clock ?? systemClock;
  const logger =
    overrides.logger ??
    createLogger({
      level: config.log.level,
      format: config.log.format,
      ...(overrides.logDestination
        ? { destination: overrides.logDestination, isTTY: overrides.logDestination.isTTY === true }
        : {}),
    });
  const store = await openStore(config.database, {
    clock,
    keepRunResults: config.retention.runResults,
    onLockWait: (lock, holder) =>
      logger.info(
        { lock, holderPid: holder.pid, holderHost: holder.host },
        `waiting: another process (pid ${holder.pid}) holds ${lock}`,
      ),
  });
  const modules = overrides.modules ?? connectorModules(config);
  const fetchImpl = overrides.fetch ?? globalThis.fetch;
  // One budget per CRM account for every process sharing a PostgreSQL store; in-process on embedded SQLite.
  const limiter = store.dialect === 'postgres' ? new PostgresRateLimiter(store.db, clock) : new LocalRateLimiter(clock);
  // Embedded: jobs run in this process. PostgreSQL: pg-boss shares them among every serve and worker process.
  const queue: JobQueue =
    config.database.kind === 'postgres'
      ? new PgBossJobQueue(
          {
            connectionString: config.database.url,
            expireInSeconds: config.jobs.expireSeconds,
            // Expired jobs are found by pg-boss's maintenance: look often enough for the expiry to mean something.
            maintenanceIntervalSeconds: Math.max(1, Math.min(60, Math.floor(config.jobs.expireSeconds / 5))),
            retryDelaySeconds: config.jobs.retrySeconds,
          },
          logger,
        )
      : new LocalJobQueue(logger);
  const scheduler = new Scheduler({ store, queue, clock, logger, instanceId: `${hostname()}:${process.pid}` });
  let credentials: CredentialStore | undefined;
  const runtime: Runtime = {
    config,
    manifest,
    logger,
    clock,
    store,
    version: readPackageVersion(),
    fetch: fetchImpl,
    limiter,
    queue,
    scheduler,
    modelCache: new ModelCache(),
    credentials() {
      if (!credentials) {
        const keys = resolveKeyring(config);
        credentials = new CredentialStore(store.credentials, new TokenVault(keys.current, keys.previous));
      }
      return credentials;
    },
    module(crm) {
      const module = modules[crm];
      if (!module) throw new NotBuiltError(`the ${crm} connector`);
      return module;
    },
    connectorFor(tenant) {
      const module = runtime.module(tenant.crm);
      const { refresh } = module;
      const tokens = new TenantTokenProvider({
        tenantId: tenant.id,
        store,
        credentials: runtime.credentials(),
        ...(refresh ? { refresh: (refreshToken: string) => refresh({ tenant, refreshToken, fetch: fetchImpl }) } : {}),
        clock,
        logger,
      });
      return module.create({
        tenant,
        tokens,
        limiter,
        // Every answered request counts towards the dashboard's "API calls today"; a count that fails is not an error.
        fetch: countRequests(fetchImpl, () => {
          store.apiUsage.record(tenant.id, API_CALLS_KEY, 1, null).catch(() => undefined);
        }),
        clock,
        logger: logger.child({ tenantId: tenant.id, crm: tenant.crm }),
        settings: tenant.settings,
        usage: store.apiUsage.ledger(tenant.id),
      });
    },
    routers() {
      return [
        createWebhookRouter({
          store,
          logger,
          clock,
          publicUrl: config.publicUrl,
          paths: { hubspot: manifest.crms.hubspot.webhookPath, salesforce: manifest.crms.salesforce.webhookPath },
          fetch: fetchImpl,
          hubspotSecrets: [config.hubspot.clientSecret ?? '', ...config.hubspot.previousClientSecrets],
          onStored: (tenantIds) => {
            for (const tenantId of tenantIds) {
              void wakeInbox(runtime, tenantId).catch((error: unknown) =>
                logger.error({ tenantId, err: error }, 'cannot queue webhook processing'),
              );
            }
          },
        }),
        createHubSpotExtensionRouter({
          store,
          clock,
          logger,
          manifest,
          publicUrl: config.publicUrl,
          hubspotSecrets: [config.hubspot.clientSecret ?? '', ...config.hubspot.previousClientSecrets],
        }),
        createSalesforceCardRouter({
          store,
          clock,
          logger,
          manifest,
          consumerSecrets: [config.salesforce.clientSecret ?? ''],
          fetch: fetchImpl,
        }),
        createInstallRouter({
          store,
          credentials: () => runtime.credentials(),
          clock,
          logger,
          manifest,
          publicUrl: config.publicUrl,
          module: (crm) => runtime.module(crm),
          fetch: fetchImpl,
          onInstalled: (tenant) => runtime.onInstalled(tenant),
          dashboardPath: manifest.settingsPath,
        }),
        createDashboardRouter({
          store,
          clock,
          logger,
          manifest,
          secureCookies: config.publicUrl.startsWith('https:'),
          onSettingsChanged: (tenant) => scheduler.schedule(tenant),
          ...(overrides.demoSignInToken ? { demoSignInToken: overrides.demoSignInToken } : {}),
          pages: resultsPages({
            store,
            clock,
            writerFor: (tenant) => {
              try {
                return runtime.connectorFor(tenant).writer?.();
              } catch {
                return undefined;
              }
            },
          }),
        }),
      ];
    },
    async onInstalled(tenant) {
      // The fields appear in the CRM at once (segment options follow with the first run, which provisions again).
      const writer = runtime.connectorFor(tenant).writer?.();
      if (writer) {
        try {
          await writer.provision({ fields: OUTPUT_FIELDS, segmentOptions: [] });
        } catch (error) {
          logger.warn({ tenantId: tenant.id, err: error }, `provisioning at install failed: ${describeError(error)}`);
        }
      }
      await scheduler.schedule(tenant);
      await queue.send(
        RUN_JOB,
        tenant.id,
        { mode: 'full', trigger: 'install' },
        { singletonKey: `run:${tenant.id}:full` },
      );
    },
    async close() {
      scheduler.stop();
      await queue.stop();
      await store.close();
    },
  };
  return runtime;
}
