import express, { type Request, type Response, Router } from 'express';
import type { CrmChangeEvent } from '../src/domain/crm-events.js';
import type { CrmName } from '../src/domain/records.js';
import { endpointSecretMatches, OUTBOUND_SECRET } from '../src/install/outbound-secret.js';
import type { Clock } from '../src/lib/clock.js';
import { describeError } from '../src/lib/errors.js';
import type { Logger } from '../src/lib/logger.js';
import type { Store } from '../src/store/open-store.js';
import { deliverySchema, normalizeHubSpotEvents } from './hubspot/normalize-events.js';
import { ACCEPTED_VERSIONS, MAX_SKEW_MS, verifyHubSpotSignature } from './hubspot/verify-signature.js';
import { DEFAULT_EVENTS_PER_MINUTE, OrgEventCap } from './salesforce/event-cap.js';
import {
  normalizeOutboundMessage,
  OutboundMessageError,
  outboundMessageAck,
  outboundMessageFault,
  parseOutboundMessage,
} from './salesforce/outbound-message.js';
import { SalesforceSessionCheck } from './salesforce/session-check.js';

/** Largest body accepted: HubSpot sends at most 100 events, Salesforce at most 100 notifications. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The oldest `occurredAt` a HubSpot delivery may carry: HubSpot retries a delivery for up to 24 h (crm-apis.md §4),
 * so a genuine event is never older than that (plus the 5 minutes of clock skew v3 allows); anything older (a
 * webhook "dated 1970") is a replay or a forgery and is not stored. The request itself must be within 5 minutes
 * (the v3 timestamp); this bound is on the events, which HubSpot keeps re-sending while it retries.
 */
export const EVENT_HORIZON_MS = 24 * 3_600_000 + MAX_SKEW_MS;

export interface WebhookRouterDeps {
  store: Store;
  logger: Logger;
  clock: Clock;
  /** The URL the CRMs call crm-agent at; HubSpot signs the full URL it called. */
  publicUrl: string;
  paths: { hubspot: string; salesforce: string };
  /** The HubSpot app's client secret first, then the ones still valid during a rotation. */
  hubspotSecrets: readonly string[];
  /** Used to check an outbound message's SessionId with the org (Salesforce's userinfo endpoint). */
  fetch: typeof fetch;
  /** Outbound-message notifications accepted per org per minute; default 2000. */
  salesforceEventsPerMinute?: number;
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
  const outboundCap = new OrgEventCap(deps.clock, deps.salesforceEventsPerMinute ?? DEFAULT_EVENTS_PER_MINUTE);
  const sessions = new SalesforceSessionCheck({ fetch: deps.fetch, clock: deps.clock });

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
      { accept: ACCEPTED_VERSIONS.webhooks },
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
    const now = deps.clock.now();
    const fresh = delivery.data.filter(
      (e) => e.occurredAt >= now - EVENT_HORIZON_MS && e.occurredAt <= now + MAX_SKEW_MS,
    );
    if (fresh.length < delivery.data.length) {
      log.warn({ crm: 'hubspot', dropped: delivery.data.length - fresh.length }, 'events outside the replay window');
    }
    if (fresh.length === 0) return refuse(400, 'every event is outside the replay window (occurredAt)');
    return store(res, 'hubspot', normalizeHubSpotEvents(fresh), () => res.status(200).json({ status: 'ok' }));
  });

  // The secret-less URL of earlier versions: anyone could post to it, so it now refuses everything.
  router.post(deps.paths.salesforce, (_req, res) => {
    log.warn({ crm: 'salesforce', status: 401, reason: 'no endpoint secret in the URL' }, 'webhook refused');
    res
      .status(401)
      .type('text/plain')
      .send("send outbound messages to this org's own endpoint URL (it ends with a secret crm-agent issued)");
  });

  router.post(`${deps.paths.salesforce}/:secret`, raw, async (req, res) => {
    const refuse = (status: number, reason: string, extra?: Record<string, unknown>) => {
      log.warn({ crm: 'salesforce', status, reason, ...extra }, 'webhook refused');
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
    const org = message.organizationId;
    try {
      const tenant = await findTenant('salesforce', org);
      // One answer for an unknown org and a wrong secret, so the endpoint does not tell which org ids are installed.
      const secretOk = endpointSecretMatches(
        String(req.params.secret ?? ''),
        tenant ? await deps.store.endpointSecrets.hash(tenant.id, OUTBOUND_SECRET) : undefined,
      );
      if (!tenant || !secretOk) return refuse(401, 'unknown organization or endpoint secret', { org });
      if (message.sessionId !== undefined) {
        const verdict = await sessions.verify(tenant.apiBaseUrl, org, message.sessionId);
        if (!verdict.ok) return refuse(401, `session rejected: ${verdict.reason}`, { org });
      }
      // Counted only once the message is authentic: forged messages cannot use up the org's minute.
      const cap = outboundCap;
      if (!cap.take(org, message.notifications.length)) {
        log.warn({ crm: 'salesforce', status: 429, org, perMinute: cap.perMinute }, 'webhook refused: over the cap');
        res
          .status(429)
          .set('Retry-After', String(cap.retryAfterSeconds(org)))
          .type('text/xml')
          .send(outboundMessageFault(`more than ${cap.perMinute} notifications a minute for this org: retry later`));
        return;
      }
    } catch (error) {
      log.error({ crm: 'salesforce', err: error }, 'webhook not checked');
      res.status(503).type('text/xml').send(outboundMessageFault('cannot check the message now: retry later'));
      return;
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
