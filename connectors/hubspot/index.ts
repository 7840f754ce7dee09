import { z } from 'zod';
import type { Config } from '../../src/config/config.js';
import type { ConnectorContext, CrmConnector, CrmConnectorModule } from '../../src/ports/crm-connector.js';
import { identifyHubSpotAccount, refreshHubSpotToken } from './auth.js';
import { HubSpotClient } from './client.js';
import { exchangeHubSpotCode, hubspotAuthorizeUrl } from './oauth.js';
import { hubspotRecordReader } from './read-records.js';
import { ownersStream } from './streams/owners-stream.js';
import { portalStream } from './streams/portal-stream.js';
import { OBJECT_SPECS } from './streams/specs.js';
import { createHubSpotWriter } from './write/hubspot-writer.js';

/**
 * How crm-agent uses a portal's API, from the tenant's settings (`settings.hubspot`). By default every process
 * together takes 108 of HubSpot's 110 requests per rolling 10 s (or 2 fewer than the app's limit when HubSpot's
 * rate-limit headers report a lower one), leaving 2 for calls made outside the budget, such as a connect's
 * account lookup; each request's slot is timed by when its answer came back, so latency never packs more into
 * HubSpot's window. Search takes 5 per 1.1 s (search sends no headers): a request held up on its way (network,
 * a busy event loop) can reach HubSpot closer to the next one than it left, and the 10 % margin absorbs that.
 */
export const HubSpotSettings = z.object({
  burstLimit: z.number().int().positive().default(108),
  burstWindowMs: z.number().int().positive().default(10_000),
  searchLimit: z.number().int().positive().default(5),
  searchWindowMs: z.number().int().positive().default(1100),
  /** How far each incremental window reaches back, for the search index's lag. */
  searchOverlapMs: z
    .number()
    .int()
    .nonnegative()
    .default(5 * 60_000),
  /** Object types read at once (they share the portal's budgets; two use burst and search together). */
  streamConcurrency: z.number().int().positive().default(2),
});
export type HubSpotSettings = z.infer<typeof HubSpotSettings>;

export function hubspotSettings(settings: Record<string, unknown>): HubSpotSettings {
  const parsed = HubSpotSettings.safeParse(settings.hubspot ?? {});
  return parsed.success ? parsed.data : HubSpotSettings.parse({});
}

/** The HubSpot connector bound to one tenant: its streams over one client and the portal's shared budgets. */
export function createHubSpotConnector(
  context: ConnectorContext,
  options: { random?: () => number } = {},
): CrmConnector {
  const settings = hubspotSettings(context.settings);
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
