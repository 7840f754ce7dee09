import { once } from 'node:events';
import { createHubSpotSandbox, type HubSpotSandbox } from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import {
  createSalesforceSandbox,
  DEFAULT_SANDBOX_TOKEN,
  SANDBOX_API_VERSION,
  type SalesforceSandbox,
} from '../../sandbox/salesforce/create-salesforce-sandbox.js';
import type { CliIo } from '../cli/cli-io.js';
import { print } from '../cli/cli-io.js';
import { loadAppManifest } from '../config/app-manifest.js';
import type { Config } from '../config/config.js';
import { loadConfig } from '../config/load-config.js';
import { createApp } from '../http/create-app.js';
import { securityOptionsFor } from '../http/security-headers.js';
import { outboundRuleFormula } from '../install/outbound-rule.js';
import { outboundMessageUrl, rotateOutboundSecret } from '../install/outbound-secret.js';
import { randomToken } from '../install/pkce.js';
import { registerJobs } from '../jobs/register-jobs.js';
import { describeError } from '../lib/errors.js';
import { appManifestPath } from '../lib/package-root.js';
import { logStrayRejections } from '../lib/stray-rejections.js';
import { createRuntime } from '../main.js';
import { hubspotSubscriptions } from '../manifest/hubspot-subscriptions.js';
import { followOAuthInstall } from './follow-oauth-install.js';
import { showcaseRecord } from './showcase-record.js';
import { userActivity } from './user-activity.js';
import { watchFirstCycles } from './watch-first-cycles.js';

export interface DemoOptions {
  port: number;
  hubspotPort: number;
  salesforcePort: number;
  /** Contacts per sandbox CRM. */
  contacts: number;
  /** Seconds between simulated rep edits (0: none). */
  activitySeconds: number;
}

/** The demo's OAuth apps: the sandboxes know these credentials, as HubSpot and Salesforce know a real app's. */
const DEMO_APP = {
  hubspot: { clientId: 'crm-agent-demo-hubspot', clientSecret: 'crm-agent-demo-hubspot-secret' },
  salesforce: { clientId: 'crm-agent-demo-salesforce', clientSecret: 'crm-agent-demo-salesforce-secret' },
};

/**
 * `npm start`: the whole product on one machine with no credentials. Starts a HubSpot portal and a Salesforce org
 * (the sandboxes, seeded), starts crm-agent, installs it into both through the real OAuth redirects, runs the first
 * full cycle of each with a progress display, then keeps reps working in both CRMs so webhooks, outbound messages
 * and schedules keep flowing, and prints where to look.
 */
export async function runDemo(io: CliIo, options: DemoOptions): Promise<void> {
  const base = loadConfig({ env: io.env, cwd: io.cwd });
  const appUrl = `http://127.0.0.1:${options.port}`;
  const manifest = loadAppManifest(appManifestPath());
  const hubspot = createHubSpotSandbox({
    seed: 1,
    contacts: options.contacts,
    companies: Math.max(20, Math.round(options.contacts / 8)),
    deals: Math.round(options.contacts * 0.8),
    ...DEMO_APP.hubspot,
    webhookUrl: `${appUrl}/webhooks/hubspot`,
    // The app's subscriptions as its HubSpot project defines them: crm-agent's own writes are not sent back.
    subscriptions: hubspotSubscriptions(manifest),
    // The card of the app's project (`crm-agent manifest hubspot`): its data fetch goes to crm-agent's card endpoint.
    cards: [
      {
        title: manifest.crms.hubspot.card.title,
        fetchUrl: `${appUrl}${manifest.crms.hubspot.card.path}`,
        objectTypes: ['contacts', 'deals'],
      },
    ],
  });
  const salesforce = createSalesforceSandbox({
    seed: 2,
    accounts: Math.max(20, Math.round(options.contacts / 8)),
    contacts: options.contacts,
    opportunities: Math.round(options.contacts * 0.8),
    ...DEMO_APP.salesforce,
    // The Canvas app on the record pages, signed with the connected app's consumer secret.
    canvasApps: [
      {
        name: 'crm_agent',
        label: manifest.name,
        canvasUrl: `${appUrl}${manifest.crms.salesforce.cardPath}`,
        consumerSecret: DEMO_APP.salesforce.clientSecret,
      },
    ],
  });
  const hubspotUrl = await hubspot.listen(options.hubspotPort);
  const salesforceUrl = await salesforce.listen(options.salesforcePort);
  print(io.stdout, `HubSpot sandbox    ${hubspotUrl}  (portal ${hubspot.portalId})`);
  print(io.stdout, `Salesforce sandbox ${salesforceUrl}`);

  const config: Config = {
    ...base,
    port: options.port,
    publicUrl: appUrl,
    hubspot: {
      ...base.hubspot,
      apiUrl: hubspotUrl,
      authUrl: hubspotUrl,
      ...DEMO_APP.hubspot,
      previousClientSecrets: [],
      appId: String(hubspot.appId),
    },
    salesforce: { ...base.salesforce, loginUrl: salesforceUrl, ...DEMO_APP.salesforce },
  };
  const signIn = randomToken();
  const runtime = await createRuntime(config, { logDestination: io.stderr, demoSignInToken: signIn });
  const unhook = logStrayRejections(runtime.logger);
  let timer: NodeJS.Timeout | undefined;
  try {
    await runtime.store.migrate();
    registerJobs(runtime);
    const server = createApp({
      store: runtime.store,
      logger: runtime.logger,
      version: runtime.version,
      routers: runtime.routers(),
      security: securityOptionsFor(runtime.config, runtime.manifest),
    }).listen(options.port, '127.0.0.1');
    await once(server, 'listening');
    print(io.stdout, `crm-agent          ${appUrl}  (store: ${runtime.store.location})`);

    const installed: Array<{ crm: string; tenantId: string }> = [];
    for (const crm of ['hubspot', 'salesforce'] as const) {
      const { tenantId } = await followOAuthInstall(appUrl, runtime.manifest.crms[crm].installPath);
      installed.push({ crm, tenantId });
      print(io.stdout, `installed into ${crm} through OAuth: tenant ${tenantId}`);
    }
    // The admin's step in Salesforce Setup: the outbound message's Endpoint URL is the org's own secret URL (issued
    // afresh here, as an admin would from crm-agent), with "Send Session ID" on, sent by a rule that leaves out
    // crm-agent's integration user (so its own writes are not sent back).
    const org = installed.find((i) => i.crm === 'salesforce')!;
    const ruleFormula = await outboundRuleFormula(runtime, (await runtime.store.tenants.get(org.tenantId))!);
    const secret = await rotateOutboundSecret(runtime.store, org.tenantId);
    salesforce.configureOutboundMessage(
      outboundMessageUrl(appUrl, runtime.manifest.crms.salesforce.webhookPath, secret),
      { sendSessionId: true, ruleFormula },
    );
    // Schedules start after the installs: on a restart, the sandboxes have forgotten the tokens of the last session,
    // so the missed slots run with the fresh ones instead of failing first.
    await runtime.scheduler.start();
    await watchFirstCycles(runtime, installed, io);

    const activity = userActivity(hubspot, salesforce);
    if (options.activitySeconds > 0) {
      timer = setInterval(() => {
        try {
          for (const line of activity.tick()) print(io.stdout, `  ${line}`);
        } catch (error) {
          runtime.logger.warn({ err: error }, `simulated activity failed: ${describeError(error)}`);
        }
      }, options.activitySeconds * 1000);
    }
    print(io.stdout, '');
    print(
      io.stdout,
      `Dashboard: ${appUrl}${runtime.manifest.settingsPath}/demo-sign-in?token=${signIn}  (one-time sign-in link)`,
    );
    print(io.stdout, "Reps' view (record pages with crm-agent's fields and card):");
    for (const line of recordPageLinks(hubspot, salesforce)) print(io.stdout, `  ${line}`);
    print(io.stdout, `HubSpot sandbox private-app token: ${hubspot.token}  (Authorization: Bearer …)`);
    print(
      io.stdout,
      `Salesforce sandbox access token: ${DEFAULT_SANDBOX_TOKEN}  (Authorization: Bearer …, ${salesforceUrl}/services/data/v${SANDBOX_API_VERSION}/)`,
    );
    print(
      io.stdout,
      options.activitySeconds > 0
        ? `Every ${options.activitySeconds} s a rep edits a record in each CRM; crm-agent re-scores it within seconds. Ctrl-C stops.`
        : 'Ctrl-C stops.',
    );
    if (!io.signal.aborted) await once(io.signal, 'abort');
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  } finally {
    if (timer) clearInterval(timer);
    await runtime.close();
    unhook();
    await hubspot.close();
    await salesforce.close();
  }
}

/** Links to a contact's and a deal's page in each sandbox CRM: records crm-agent scored, explained and acted on. */
function recordPageLinks(hubspot: HubSpotSandbox, salesforce: SalesforceSandbox): string[] {
  const lines: string[] = [];
  const hs = (type: 'contacts' | 'deals', fields: string[], label: string) => {
    const record = showcaseRecord(
      [...hubspot.state.objects[type].records.values()].filter((r) => !r.archived),
      (r) => r.properties,
      fields,
    );
    if (record) lines.push(`HubSpot ${label}: ${hubspot.recordPageUrl(type, record.id)}`);
  };
  hs('contacts', ['crm_agent_next_best_action', 'crm_agent_recommended_products', 'crm_agent_top_reasons'], 'contact');
  hs('deals', ['crm_agent_next_best_action', 'crm_agent_win_probability', 'crm_agent_top_reasons'], 'deal');
  const sf = (object: 'Contact' | 'Opportunity', fields: string[], label: string) => {
    const live = [...salesforce.state.table(object).values()].filter((r) => r.IsDeleted !== true);
    const record = showcaseRecord(live, (r) => r, fields);
    if (record) lines.push(`Salesforce ${label}: ${salesforce.recordPageUrl(object, String(record.Id))}`);
  };
  sf(
    'Contact',
    ['CrmAgent_Next_Best_Action__c', 'CrmAgent_Recommended_Products__c', 'CrmAgent_Top_Reasons__c'],
    'contact',
  );
  sf(
    'Opportunity',
    ['CrmAgent_Next_Best_Action__c', 'CrmAgent_Win_Probability__c', 'CrmAgent_Top_Reasons__c'],
    'opportunity',
  );
  return lines;
}
