import express, { type Request, type Response, Router } from 'express';
import type { CrmChangeEvent } from '../src/domain/crm-events.js';
import type { CrmName } from '../src/domain/records.js';
import type { Clock } from '../src/lib/clock.js';
import { describeError } from '../src/lib/errors.js';
import type { Logger } from '../src/lib/logger.js';
import type { Store } from '../src/store/open-store.js';
import { deliverySchema, normalizeHubSpotEvents } from './hubspot/normalize-events.js';
import { verifyHubSpotSignature } from './hubspot/verify-signature.js';
import {
  normalizeOutboundMessage,
  OutboundMessageError,
  outboundMessageAck,
  parseOutboundMessage,
} from './salesforce/outbound-message.js';

/** Largest body accepted: HubSpot sends at most 100 events, Salesforce at most 100 notifications. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookRouterDeps {
  store: Store;
  logger: Logger;
  clock: Clock;
  /** The URL the CRMs call crm-agent at; HubSpot signs the full URL it called. */
  publicUrl: string;
  paths: { hubspot: string; salesforce: string };
  /** The HubSpot app's client secret first, then the ones still valid during a rotation. */
  hubspotSecrets: readonly string[];
  /** Called after new events are stored, so background processing can start at once. */
  onStored?: (tenantIds: string[]) => void;
}

/**
 * Webhook intake: verify the raw bytes, deduplicate, store in the inbox, and only then answer 2xx (processing
 * happens in the background). Anything refused is not stored, and a log line says why.
 */
export function createWebhookRouter(deps: WebhookRouterDeps): Router {
  const router = Router();
  const raw = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
  const log = deps.logger.child({ component: 'webhooks' });

  router.post(deps.paths.hubspot, raw, async (req, res) => {
    const refuse = (status: number, reason: string) => {
      log.warn({ crm: 'hubspot', status, reason }, 'webhook refused');
      res.status(status).json({ status: 'error', message: reason });
    };
    const body = bodyOf(req);
    const verdict = verifyHubSpotSignature(
      { method: req.method, url: deps.publicUrl + req.originalUrl, rawBody: body, headers: req.headers },
      deps.hubspotSecrets,
      deps.clock.now(),
    );
    if (!verdict.ok) return refuse(401, `signature rejected: ${verdict.reason}`);
    if (!req.is('application/json')) return refuse(415, 'expected application/json');
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(400, 'body is not JSON');
    }
    const delivery = deliverySchema.safeParse(json);
    if (!delivery.success)
      return refuse(400, `not a HubSpot event batch: ${delivery.error.issues[0]?.message ?? 'invalid'}`);
    return store(res, 'hubspot', normalizeHubSpotEvents(delivery.data), () => res.status(200).json({ status: 'ok' }));
  });

  router.post(deps.paths.salesforce, raw, async (req, res) => {
    const refuse = (status: number, reason: string) => {
      log.warn({ crm: 'salesforce', status, reason }, 'webhook refused');
      res.status(status).type('text/plain').send(reason);
    };
    if (!req.is(['text/xml', 'application/soap+xml'])) return refuse(415, 'expected text/xml (SOAP)');
    let message: ReturnType<typeof parseOutboundMessage>;
    try {
      message = parseOutboundMessage(bodyOf(req).toString('utf8'));
    } catch (error) {
      if (error instanceof OutboundMessageError) return refuse(400, `not an outbound message: ${error.message}`);
      throw error;
    }
    const events = normalizeOutboundMessage(message, new Date(deps.clock.now()).toISOString());
    return store(res, 'salesforce', events, () => res.status(200).type('text/xml').send(outboundMessageAck(true)));
  });

  /** Looks up each event's tenant, drops (and logs) events of unknown accounts, stores the rest once. */
  async function store(res: Response, crm: CrmName, events: CrmChangeEvent[], ack: () => void): Promise<void> {
    try {
      const tenants = new Map<string, string | undefined>();
      for (const accountId of new Set(events.map((e) => e.accountId))) {
        tenants.set(accountId, (await findTenant(crm, accountId))?.id);
      }
      const unknown = [...tenants].filter(([, id]) => id === undefined).map(([account]) => account);
      if (unknown.length > 0 && unknown.length === tenants.size && crm === 'salesforce') {
        // Outbound messages carry no signature: the org id of a known tenant is what authenticates them.
        log.warn({ crm, accounts: unknown }, 'webhook refused: unknown organization');
        res.status(403).type('text/plain').send('unknown organization');
        return;
      }
      if (unknown.length > 0) log.warn({ crm, accounts: unknown }, 'events of unknown accounts dropped');
      const known = events.filter((e) => tenants.get(e.accountId) !== undefined);
      const added = await deps.store.inbox.add(
        known.map((e) => ({
          provider: crm,
          tenantId: tenants.get(e.accountId) ?? null,
          eventKey: e.eventKey,
          payload: JSON.stringify(e),
        })),
      );
      log.debug({ crm, received: events.length, stored: added }, 'webhook stored');
      ack();
      if (added > 0) deps.onStored?.([...new Set(known.map((e) => tenants.get(e.accountId)!))]);
    } catch (error) {
      // Storage failed: the sender must retry, so no 2xx.
      log.error({ crm, err: error }, 'webhook not stored');
      res.status(503).json({ status: 'error', message: `not stored: ${describeError(error)}` });
    }
  }

  async function findTenant(crm: CrmName, accountId: string) {
    const exact = await deps.store.tenants.findByExternalId(crm, accountId);
    if (exact || crm !== 'salesforce') return exact;
    // Salesforce ids come in 15- and 18-character forms; the first 15 characters identify the org.
    return accountId.length >= 15 ? deps.store.tenants.findByExternalIdPrefix(crm, accountId.slice(0, 15)) : undefined;
  }

  router.use((error: unknown, _req: Request, res: Response, next: (e?: unknown) => void) => {
    const status = (error as { status?: number }).status;
    if (status === 413) {
      log.warn({ status, reason: 'body over 1 MiB' }, 'webhook refused');
      res.status(413).json({ status: 'error', message: 'body too large' });
      return;
    }
    next(error);
  });
  return router;
}

function bodyOf(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}
