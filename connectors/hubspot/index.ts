import type { Config } from '../../src/config/config.js';
import { type SettingsWarn, settingsSection, type TenantSettings } from '../../src/domain/tenant-settings.js';
import type { ConnectorContext, CrmConnector, CrmConnectorModule } from '../../src/ports/crm-connector.js';
import { identifyHubSpotAccount, refreshHubSpotToken } from './auth.js';
import { HubSpotClient } from './client.js';
import { exchangeHubSpotCode, hubspotAuthorizeUrl } from './oauth.js';
import { hubspotRecordReader } from './read-records.js';
import { accountStream } from './streams/account-stream.js';
import { ownersStream } from './streams/owners-stream.js';
import { portalStream } from './streams/portal-stream.js';
import { OBJECT_SPECS } from './streams/specs.js';
import { createHubSpotWriter } from './write/hubspot-writer.js';

/**
 * How crm-agent uses a portal's API, from the tenant's settings (`settings.hubspot`; what each one means and its
 * default: src/domain/tenant-settings.ts). A bad stored value falls back to its default, `warn` naming it.
 */
export type HubSpotSettings = TenantSettings['hubspot'];

export function hubspotSettings(settings: Record<string, unknown>, warn?: SettingsWarn): HubSpotSettings {
  return settingsSection(settings, 'hubspot', warn);
}

/** The HubSpot connector bound to one tenant: its streams over one client and the portal's shared budgets. */
export function createHubSpotConnector(
  context: ConnectorContext,
  options: { random?: () => number } = {},
): CrmConnector {
  const settings = hubspotSettings(context.settings, (details, message) => context.logger.warn(details, message));
  const client = new HubSpotClient({
    context,
    baseUrl: context.tenant.apiBaseUrl,
    portalId: context.tenant.externalId,
    budgets: {
      burst: { limit: settings.burstLimit, windowMs: settings.burstWindowMs },
      search: { limit: settings.searchLimit, windowMs: settings.searchWindowMs },
    },
    ...(options.random ? { random: options.random } : {}),
  });
  const deps = {
    client,
    clock: context.clock,
    logger: context.logger,
    searchOverlapMs: settings.searchOverlapMs,
    concurrency: settings.streamConcurrency,
  };
  const readRecords = hubspotRecordReader({ client, clock: context.clock });
  return {
    crm: 'hubspot',
    writer: () => createHubSpotWriter(client, context.logger),
    readRecords,
    // Owners beside the objects: the owners' few requests need not wait for the objects' thousands.
    streamConcurrency: 2,
    streams: () => [
      accountStream(client),
      ownersStream(client, context.clock),
      portalStream(
        [
          OBJECT_SPECS.contacts,
          OBJECT_SPECS.deals,
          OBJECT_SPECS.line_items,
          OBJECT_SPECS.companies,
          OBJECT_SPECS.products,
        ],
        deps,
      ),
    ],
  };
}

/**
 * HubSpot as the composition root sees it: identify a token's portal, renew OAuth tokens, bind to a tenant, and,
 * when the app's client id and secret are configured, install through OAuth (authorize page, code exchange).
 */
export function createHubSpotModule(config: Config['hubspot']): CrmConnectorModule {
  const credentials = {
    ...(config.clientId ? { clientId: config.clientId } : {}),
    ...(config.clientSecret ? { clientSecret: config.clientSecret } : {}),
  };
  const app =
    config.clientId && config.clientSecret
      ? { authUrl: config.authUrl, apiUrl: config.apiUrl, clientId: config.clientId, clientSecret: config.clientSecret }
      : undefined;
  return {
    crm: 'hubspot',
    identify: (args) => identifyHubSpotAccount(args),
    refresh: (args) => refreshHubSpotToken(credentials, args),
    ...(app
      ? {
          authorizeUrl: (args) => hubspotAuthorizeUrl(app, args),
          exchangeCode: (args) => exchangeHubSpotCode(app, args),
        }
      : {}),
    create: (context) => createHubSpotConnector(context),
  };
}
