import express, { Router } from 'express';
import { cardHtml } from '../../src/card/card-html.js';
import { recordCard } from '../../src/card/record-card.js';
import type { AppManifest } from '../../src/config/app-manifest.js';
import type { Clock } from '../../src/lib/clock.js';
import type { Logger } from '../../src/lib/logger.js';
import type { Store } from '../../src/store/open-store.js';
import { verifyCanvasRequest } from './canvas-signed-request.js';
import { SalesforceSessionCheck, type SessionVerdict } from './session-check.js';

/** Salesforce id key prefixes of the records the card shows. */
const PREFIX: Record<string, 'contact' | 'deal' | 'company'> = {
  '003': 'contact',
  '00Q': 'contact',
  '006': 'deal',
  '001': 'company',
};

/**
 * The rep's card for Salesforce: a Canvas app (Lightning tab, record page or Visualforce frame) POSTs a signed request
 * naming the org and the record; crm-agent answers with the card as an HTML page the frame shows.
 */
export function createSalesforceCardRouter(deps: {
  store: Store;
  clock: Clock;
  logger: Logger;
  manifest: AppManifest;
  consumerSecrets: readonly string[];
  /** When given, the request's OAuth token must be a live session of the org it names (userinfo, cached). */
  fetch?: typeof fetch;
}): Router {
  const router = Router();
  const log = deps.logger.child({ component: 'salesforce-card' });
  const sessions = deps.fetch ? new SalesforceSessionCheck({ fetch: deps.fetch, clock: deps.clock }) : undefined;
  router.post(
    deps.manifest.crms.salesforce.cardPath,
    express.urlencoded({ extended: false, limit: '64kb' }),
    async (req, res) => {
      const signed = String((req.body as Record<string, unknown>).signed_request ?? '');
      const envelope = verifyCanvasRequest(signed, deps.consumerSecrets, deps.clock.now());
      if (!envelope) {
        log.warn('card request refused: signed_request does not verify or is too old');
        return void res.status(401).type('text/plain').send('signed_request does not verify or is too old');
      }
      const orgId = envelope.context.organization.organizationId;
      const tenant =
        (await deps.store.tenants.findByExternalId('salesforce', orgId)) ??
        (await deps.store.tenants.findByExternalIdPrefix('salesforce', orgId.slice(0, 15)));
      if (!tenant) return void res.status(404).type('text/plain').send('crm-agent is not installed in this org');
      if (sessions) {
        // A replayed request carries a token the org has since expired: its age alone is only a bound.
        const token = envelope.client?.oauthToken;
        let verdict: SessionVerdict;
        try {
          verdict = token
            ? await sessions.verify(tenant.apiBaseUrl, orgId, token)
            : { ok: false, reason: 'no oauthToken in the signed request' };
        } catch (error) {
          log.error({ err: error }, 'card request not checked');
          return void res.status(503).type('text/plain').send('cannot check the request with Salesforce now');
        }
        if (!verdict.ok) {
          log.warn({ reason: verdict.reason }, 'card request refused');
          return void res.status(401).type('text/plain').send(`signed_request refused: ${verdict.reason}`);
        }
      }
      const recordId = String(envelope.context.environment?.parameters?.recordId ?? '');
      const objectType = PREFIX[recordId.slice(0, 3)];
      if (!objectType)
        return void res
          .status(400)
          .type('text/plain')
          .send('the Canvas parameters must name a Contact, Lead, Opportunity or Account record');
      // Framing (frame-ancestors: Salesforce's domains) is the app's security headers' job (src/http/security-headers.ts).
      res.type('html').send(cardHtml(await recordCard(deps.store, tenant.id, objectType, recordId), 'crm-agent').value);
    },
  );
  return router;
}
