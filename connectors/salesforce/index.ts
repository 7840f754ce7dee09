import type { Config } from '../../src/config/config.js';
import type { CrmConnectorModule } from '../../src/ports/crm-connector.js';
import { identify, refreshTokens } from './auth.js';
import { ApiBudget, memoryLedger } from './budget.js';
import { SalesforceClient } from './client.js';
import { authorizeUrl, exchangeCode } from './oauth.js';
import { readRecords } from './read-records.js';
import { parseSettings } from './settings.js';
import { ChainLock, Describer } from './streams/common.js';
import { salesforceStreams } from './streams/index.js';
import { SalesforceWriter } from './write/writer.js';

/**
 * crm-agent's Salesforce connector. It speaks the REST API directly with fetch (not jsforce), because the sync
 * needs what jsforce leaves out: a budget checked before every request, retries only where they are safe, one
 * refresh in flight across workers (the token provider), and checkpointable Bulk API jobs.
 */
export function createSalesforceModule(config: Config['salesforce']): CrmConnectorModule {
  /** A refresh can move the org to another instance: connectors bound to the tenant follow at once. */
  const instanceUrls = new Map<string, string>();
  const { clientId, clientSecret } = config;
  return {
    crm: 'salesforce',
    identify,
    ...(clientId && clientSecret
      ? {
          authorizeUrl: (args) => authorizeUrl({ loginUrl: config.loginUrl, clientId, clientSecret }, args),
          exchangeCode: (args) => exchangeCode({ loginUrl: config.loginUrl, clientId, clientSecret }, args),
          async refresh({ tenant, refreshToken, fetch }) {
            const grant = await refreshTokens({
              loginUrl: config.loginUrl,
              clientId,
              clientSecret,
              tenant,
              refreshToken,
              fetch,
            });
            if (grant.instanceUrl) instanceUrls.set(tenant.id, grant.instanceUrl);
            return grant;
          },
        }
      : {}),
    create(context) {
      const settings = parseSettings(context.tenant.settings, (details, message) =>
        context.logger.warn(details, message),
      );
      const budget = new ApiBudget({
        ledger: context.usage ?? memoryLedger(),
        key: 'salesforce:daily',
        share: settings.apiShare,
      });
      const client = new SalesforceClient({
        tokens: context.tokens,
        fetch: context.fetch,
        clock: context.clock,
        logger: context.logger,
        instanceUrl: () => instanceUrls.get(context.tenant.id) ?? context.tenant.apiBaseUrl,
        budget,
      });
      const deps = {
        client,
        settings,
        describer: new Describer(client),
        chains: new ChainLock(),
        clock: context.clock,
        logger: context.logger,
      };
      const writer = new SalesforceWriter({ ...deps, onMetadataChanged: () => deps.describer.forget() });
      return {
        crm: 'salesforce',
        streams: () => salesforceStreams(deps),
        writer: () => writer,
        readRecords: (refs) => readRecords(deps, refs),
      };
    },
  };
}
