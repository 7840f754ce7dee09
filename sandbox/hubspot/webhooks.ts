import { createHash, createHmac } from 'node:crypto';
import type { Clock } from '../../src/lib/clock.js';
import { notFound, validationError } from './errors.js';
import { OBJECT_TYPE_IDS } from './object-types.js';
import type { ChangeEvent } from './state.js';

/** v1: hex SHA-256 of client secret + raw body (CRM-object webhook deliveries). */
export function signV1(clientSecret: string, body: string): string {
  return createHash('sha256')
    .update(clientSecret + body)
    .digest('hex');
}

/** v2: hex SHA-256 of client secret + method + URL + raw body (custom workflow action calls). */
export function signV2(clientSecret: string, method: string, url: string, body: string): string {
  return createHash('sha256')
    .update(clientSecret + method + url + body)
    .digest('hex');
}

/**
 * v3: base64 HMAC-SHA256, keyed with the client secret, over method + URI + raw body + timestamp. The URI is the
 * URL HubSpot called with HubSpot's short list of escapes decoded.
 */
export function signV3(clientSecret: string, method: string, url: string, body: string, timestamp: number): string {
  return createHmac('sha256', clientSecret)
    .update(method + decodeSignedUri(url) + body + String(timestamp))
    .digest('base64');
}

const DECODED: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

export function decodeSignedUri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => DECODED[m.toUpperCase()] ?? m);
}

export interface WebhookSubscription {
  id: number;
  eventType: string;
  propertyName?: string;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookSettings {
  targetUrl: string;
  throttling: { maxConcurrentRequests: number; period: 'SECONDLY' };
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryRecord {
  at: number;
  attempt: number;
  events: number;
  status: number | null;
  error?: string;
}

export interface WebhookDispatcherOptions {
  clock: Clock;
  fetch: typeof fetch;
  appId: number;
  portalId: number;
  clientSecret: string;
  targetUrl?: string;
  /** Events are gathered this long (clock time) before a batch goes out. Default 1 s. */
  batchWindowMs?: number;
  /** First retry after this long, doubling per attempt (capped at 6 h). Default 60 s. */
  retryBaseMs?: number;
  /** Attempts per batch (HubSpot: up to 10 over 24 h). */
  maxAttempts?: number;
  /** No answer within this many real milliseconds is a failure (HubSpot: 5 s). */
  timeoutMs?: number;
}

type Payload = Record<string, unknown>;

/**
 * Delivers change events to the app's target URL the way HubSpot does: batches of up to 100 events in a JSON
 * array, signed v1 and v3, at most `maxConcurrentRequests` at once, retried with backoff on a connection error,
 * a timeout or any non-2xx answer. All waiting goes through the clock.
 */
export class WebhookDispatcher {
  readonly subscriptions = new Map<number, WebhookSubscription>();
  settings: WebhookSettings | undefined;
  readonly deliveries: DeliveryRecord[] = [];
  private pending: Payload[] = [];
  private scheduled = false;
  private nextEventId = 1;
  private nextSubscriptionId = 1;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(private readonly options: WebhookDispatcherOptions) {
    if (options.targetUrl) this.configure({ targetUrl: options.targetUrl });
  }

  configure(input: { targetUrl?: unknown; throttling?: { maxConcurrentRequests?: unknown } }): WebhookSettings {
    if (typeof input.targetUrl !== 'string' || !URL.canParse(input.targetUrl)) {
      throw validationError('targetUrl must be an absolute URL.');
    }
    const max = input.throttling?.maxConcurrentRequests;
    const at = new Date(this.options.clock.now()).toISOString();
    this.settings = {
      targetUrl: input.targetUrl,
      throttling: { maxConcurrentRequests: typeof max === 'number' && max > 0 ? max : 10, period: 'SECONDLY' },
      createdAt: this.settings?.createdAt ?? at,
      updatedAt: at,
    };
    return this.settings;
  }

  clearSettings(): void {
    this.settings = undefined;
  }

  subscribe(input: Record<string, unknown>): WebhookSubscription {
    if (typeof input.eventType !== 'string' || !/^[a-z_]+\.[a-zA-Z]+$/.test(input.eventType)) {
      throw validationError('eventType must name an event, e.g. contact.propertyChange.');
    }
    if (input.eventType.endsWith('.propertyChange') && typeof input.propertyName !== 'string') {
      throw validationError('propertyChange subscriptions need a propertyName.');
    }
    const at = new Date(this.options.clock.now()).toISOString();
    const subscription: WebhookSubscription = {
      id: this.nextSubscriptionId++,
      eventType: input.eventType,
      ...(typeof input.propertyName === 'string' ? { propertyName: input.propertyName } : {}),
      active: input.active !== false,
      createdAt: at,
      updatedAt: at,
    };
    this.subscriptions.set(subscription.id, subscription);
    return subscription;
  }

  updateSubscription(id: number, input: Record<string, unknown>): WebhookSubscription {
    const subscription = this.subscriptions.get(id);
    if (!subscription) throw notFound(`No subscription ${id}`);
    if (typeof input.active === 'boolean') subscription.active = input.active;
    subscription.updatedAt = new Date(this.options.clock.now()).toISOString();
    return subscription;
  }

  /** Queues a change for delivery if the app subscribes to it (with no subscriptions: to everything). */
  enqueue(event: ChangeEvent): void {
    if (!this.settings) return;
    const subscription = this.match(event);
    if (subscription === undefined) return;
    // An associationChange event names its link by fromObjectId/toObjectId and carries no objectId (HubSpot's
    // webhooks reference, "associationChange" payload); the other events name their record by objectId.
    const { objectType, objectId, ...rest } = event;
    const association = event.subscriptionType.endsWith('.associationChange');
    this.pending.push({
      eventId: this.nextEventId++,
      subscriptionId: subscription,
      portalId: this.options.portalId,
      appId: this.options.appId,
      attemptNumber: 0,
      objectTypeId: OBJECT_TYPE_IDS[objectType],
      ...(association ? {} : { objectId }),
      ...rest,
    });
    if (!this.scheduled) {
      this.scheduled = true;
      const timer = this.options.clock.sleep(this.options.batchWindowMs ?? 1000, this.abort.signal).then(
        () => this.sendPending(),
        () => undefined,
      );
      this.track(timer);
    }
  }

  /** Sends what is queued now and waits until every delivery in flight is answered (retries included). */
  async flush(): Promise<void> {
    await this.sendPending();
    await this.idle();
  }

  /** Waits until nothing is queued or in flight (retries included). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  close(): void {
    this.abort.abort();
    this.pending = [];
  }

  private match(event: ChangeEvent): number | undefined {
    if (this.subscriptions.size === 0) {
      return Number.parseInt(createHash('sha1').update(event.subscriptionType).digest('hex').slice(0, 6), 16);
    }
    for (const s of this.subscriptions.values()) {
      if (!s.active || s.eventType !== event.subscriptionType) continue;
      if (s.propertyName !== undefined && s.propertyName !== event.propertyName) continue;
      return s.id;
    }
    return undefined;
  }

  private async sendPending(): Promise<void> {
    this.scheduled = false;
    const batches: Payload[][] = [];
    while (this.pending.length > 0) batches.push(this.pending.splice(0, 100));
    await Promise.all(batches.map((batch) => this.track(this.deliver(batch, 0))));
  }

  private track(promise: Promise<void>): Promise<void> {
    this.inflight.add(promise);
    void promise.finally(() => this.inflight.delete(promise));
    return promise;
  }

  private async deliver(batch: Payload[], attempt: number): Promise<void> {
    const settings = this.settings;
    if (!settings || this.abort.signal.aborted) return;
    await this.slot(settings.throttling.maxConcurrentRequests);
    let ok = false;
    try {
      ok = await this.post(
        settings.targetUrl,
        batch.map((e) => ({ ...e, attemptNumber: attempt })),
        attempt,
      );
    } finally {
      this.release();
    }
    const maxAttempts = this.options.maxAttempts ?? 10;
    if (ok || attempt + 1 >= maxAttempts) return;
    const delay = Math.min((this.options.retryBaseMs ?? 60_000) * 2 ** attempt, 6 * 3_600_000);
    const retry = this.options.clock.sleep(delay, this.abort.signal).then(
      () => this.deliver(batch, attempt + 1),
      () => undefined,
    );
    void this.track(retry);
  }

  private async post(url: string, events: Payload[], attempt: number): Promise<boolean> {
    const body = JSON.stringify(events);
    const timestamp = Math.round(this.options.clock.now());
    const secret = this.options.clientSecret;
    const record: DeliveryRecord = { at: timestamp, attempt, events: events.length, status: null };
    this.deliveries.push(record);
    try {
      const response = await this.options.fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'HubSpot Connect 2.0 (http://dev.hubspot.com/) - WebhooksExecutorDaemon',
          'X-HubSpot-Signature': signV1(secret, body),
          'X-HubSpot-Signature-Version': 'v1',
          'X-HubSpot-Signature-v3': signV3(secret, 'POST', url, body, timestamp),
          'X-HubSpot-Request-Timestamp': String(timestamp),
          'X-HubSpot-Timeout-Millis': String(this.options.timeoutMs ?? 5000),
        },
        body,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.timeoutMs ?? 5000)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      record.status = response.status;
      return response.ok;
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
      return false;
    }
  }

  private slot(max: number): Promise<void> {
    if (this.active < max) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => resolve()));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
