import { createHash, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { type Clock, systemClock } from '../../src/lib/clock.js';
import { Rng } from '../world/rng.js';
import { controlRoutes, SandboxControl } from './control.js';
import { HubSpotHttpError, rateLimited, searchRateLimited, serverError, validationError } from './errors.js';
import { type RateLimitSettings, RateLimits, REAL_LIMITS } from './limits.js';
import { TokenStore } from './oauth.js';
import { associationRoutes } from './routes/associations.js';
import type { Callback, Faults, SandboxContext, WorkflowActionDefinition } from './routes/context.js';
import { developerRoutes } from './routes/developer.js';
import { oauthRoutes } from './routes/oauth.js';
import { objectRoutes } from './routes/objects.js';
import { portalRoutes } from './routes/portal.js';
import { propertyRoutes } from './routes/properties.js';
import { type AppCard, recordPagePath, recordPageRoutes } from './routes/record-pages.js';
import { searchRoutes } from './routes/search.js';
import { groundTruth, seedPortal } from './seed.js';
import { SandboxState } from './state.js';
import { WebhookDispatcher } from './webhooks.js';

export interface HubSpotSandboxOptions {
  seed?: number;
  contacts?: number;
  companies?: number;
  deals?: number;
  /** The portal's company currency (account-info `companyCurrency`, the seeded deals' currency); default USD. */
  currency?: string;
  /** The seeded world's today (ISO date); default the first day of the clock's current UTC month. */
  asOf?: string;
  /** Shared with the code under test so every limit and expiry runs on the same (possibly scaled) time. */
  clock?: Clock;
  /** Used to deliver webhooks and workflow action calls. */
  fetch?: typeof fetch;
  /** Static private-app tokens; default one derived from the seed. */
  tokens?: string[];
  clientId?: string;
  clientSecret?: string;
  /** The developer API key (`hapikey`) of the app, for webhook and action-definition management. */
  developerApiKey?: string;
  limits?: 'real' | 'off' | RateLimitSettings;
  searchLagMs?: number;
  webhookUrl?: string;
  /**
   * The app's webhook subscriptions, as its project defines them (`webhooks.json`): only these events are sent, as
   * HubSpot sends them. Without any (nor any made through the developer API), the sandbox sends every event.
   */
  subscriptions?: ReadonlyArray<{ eventType: string; propertyName?: string }>;
  webhookBatchWindowMs?: number;
  webhookRetryBaseMs?: number;
  /** The app's CRM cards, as its project defines them: the record pages show them in their sidebar. */
  cards?: readonly AppCard[];
  /** OAuth access token lifetime; default 30 minutes. */
  accessTokenTtlMs?: number;
  /** Called as each API request (not OAuth, not control) arrives, with its running number: tests act on it. */
  onRequest?: (request: { method: string; path: string; number: number }) => void;
}

export interface HubSpotSandbox {
  app: Express;
  state: SandboxState;
  control: SandboxControl;
  context: SandboxContext;
  portalId: number;
  /** The first static private-app token. */
  token: string;
  clientId: string;
  clientSecret: string;
  appId: number;
  developerApiKey: string;
  /** Set once listening. */
  url: string | undefined;
  /** The address of a record's page (a person's view of it, with the app cards), once listening. */
  recordPageUrl(type: 'contacts' | 'companies' | 'deals', id: number): string;
  /** Starts serving on 127.0.0.1 (port 0: any free port); resolves with the base URL once it accepts requests. */
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
}

const APP_ID = 3_100_001;
const PRIVATE_APP_ID = 3_100_002;

function derived(seed: number, what: string, length = 32): string {
  return createHash('sha256').update(`crm-agent-hubspot-sandbox:${seed}:${what}`).digest('hex').slice(0, length);
}

/** The first day of the clock's current UTC month, so the same seed gives the same data all month. */
export function defaultAsOf(clock: Clock): string {
  const now = new Date(clock.now());
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
}

/**
 * A local HubSpot: the CRM v3/v4 APIs, search, properties, associations, owners, pipelines, OAuth, webhooks and
 * custom workflow actions over a seeded portal, with HubSpot's limits, errors and timing behaviour.
 */
export function createHubSpotSandbox(options: HubSpotSandboxOptions = {}): HubSpotSandbox {
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? 1;
  const portalId = 20_000_000 + (seed % 10_000_000);
  const staticTokens = options.tokens?.length
    ? options.tokens
    : [`pat-na1-${derived(seed, 'token', 8)}-${derived(seed, 'token2', 24)}`];
  const clientId = options.clientId ?? derived(seed, 'client-id', 36);
  const clientSecret = options.clientSecret ?? derived(seed, 'client-secret', 36);
  const developerApiKey = options.developerApiKey ?? derived(seed, 'developer-key', 36);
  const now = () => clock.now();
  const tokens = new TokenStore({
    hubId: portalId,
    userId: 7_000_001,
    hubDomain: `sandbox-${seed}.hubspot.example`,
    app: { appId: APP_ID, clientId, clientSecret },
    privateAppId: PRIVATE_APP_ID,
    staticTokens,
    accessTokenTtlMs: options.accessTokenTtlMs ?? 30 * 60_000,
    now,
  });
  const state = new SandboxState({
    portalId,
    now,
    searchLagMs: options.searchLagMs ?? 0,
    tokens,
    ...(options.currency ? { companyCurrency: options.currency } : {}),
  });
  const asOf = options.asOf ?? defaultAsOf(clock);
  const seeded = seedPortal(state, {
    seed,
    contacts: options.contacts ?? 2000,
    companies: options.companies ?? 300,
    deals: options.deals ?? 1500,
    asOf,
  });
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const webhooks = new WebhookDispatcher({
    clock,
    fetch: fetchImpl,
    appId: APP_ID,
    portalId,
    clientSecret,
    ...(options.webhookUrl ? { targetUrl: options.webhookUrl } : {}),
    ...(options.webhookBatchWindowMs !== undefined ? { batchWindowMs: options.webhookBatchWindowMs } : {}),
    ...(options.webhookRetryBaseMs !== undefined ? { retryBaseMs: options.webhookRetryBaseMs } : {}),
  });
  for (const subscription of options.subscriptions ?? []) webhooks.subscribe({ ...subscription });
  state.onChange((event) => webhooks.enqueue(event));
  const limitSettings =
    options.limits === 'off'
      ? { ...REAL_LIMITS, mode: 'off' as const }
      : options.limits === undefined || options.limits === 'real'
        ? REAL_LIMITS
        : options.limits;
  const limits = new RateLimits(limitSettings, now);
  const faults: Faults = { malformed: new Set() };
  let url: string | undefined;
  const context: SandboxContext = {
    state,
    limits,
    webhooks,
    clock,
    fetch: fetchImpl,
    faults,
    developerApiKey,
    appId: APP_ID,
    privateAppId: PRIVATE_APP_ID,
    clientSecret,
    actions: new Map<string, WorkflowActionDefinition>(),
    callbacks: new Map<string, Callback>(),
    counters: {},
    baseUrl: () => url ?? 'http://127.0.0.1',
  };
  const control = new SandboxControl(context, () => groundTruth(seeded.world, seeded.ids));
  const app = buildApp(context, control, new Rng(seed ^ 0x5a5a), options.onRequest, options.cards ?? []);

  let server: Server | undefined;
  return {
    app,
    state,
    control,
    context,
    portalId,
    token: staticTokens[0]!,
    clientId,
    clientSecret,
    appId: APP_ID,
    developerApiKey,
    get url() {
      return url;
    },
    recordPageUrl(type, id) {
      return `${url ?? 'http://127.0.0.1'}${recordPagePath(portalId, type, id)}`;
    },
    listen(port = 0) {
      return new Promise((resolve, reject) => {
        const s = app.listen(port, '127.0.0.1', (error?: Error) => {
          if (error) {
            reject(error);
            return;
          }
          server = s;
          s.keepAliveTimeout = 30_000;
          url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
          resolve(url);
        });
        s.once('error', reject);
      });
    },
    async close() {
      webhooks.close();
      if (!server) return;
      const s = server;
      server = undefined;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
  };
}

function count(ctx: SandboxContext, key: string): void {
  ctx.counters[key] = (ctx.counters[key] ?? 0) + 1;
}

const RECORD_PAGE = /^\/contacts\/\d+\/record\//;
const SEARCH_PATH = /^\/crm\/(v3\/objects|objects\/2026-03)\/[^/]+\/search$/;

function buildApp(
  ctx: SandboxContext,
  control: SandboxControl,
  rng: Rng,
  onRequest: HubSpotSandboxOptions['onRequest'],
  cards: readonly AppCard[],
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(express.json({ limit: '10mb', type: ['application/json', 'application/*+json'] }));
  app.use(express.urlencoded({ extended: false, limit: '1mb' }));

  let apiRequests = 0;
  app.use((req, _res, next) => {
    const group = req.path.startsWith('/__sandbox')
      ? 'control'
      : req.path.startsWith('/oauth')
        ? 'oauth'
        : RECORD_PAGE.test(req.path)
          ? 'page'
          : 'api';
    count(ctx, group);
    if (group === 'api') onRequest?.({ method: req.method, path: req.path, number: ++apiRequests });
    next();
  });
  app.use(controlRoutes(control));
  app.use(oauthRoutes(ctx));
  const { developer, callbacks } = developerRoutes(ctx);
  app.use(developer);
  // A person's pages in HubSpot's app (signed in to the portal), not the API: no token, no API limits.
  app.use(recordPageRoutes(ctx, cards));

  // Everything else is the authenticated API: bearer token, injected faults, then the rate limits.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const token = ctx.state.tokens.authenticate(req.headers.authorization);
    (req as Request & { token: typeof token }).token = token;
    const search = req.method === 'POST' && SEARCH_PATH.test(req.path);
    const t = ctx.clock.now();
    const throttle = ctx.faults.throttle?.find(
      (w) => (w.from === undefined || t >= w.from) && (w.until === undefined || t < w.until),
    );
    if (throttle && rng.chance(throttle.probability)) {
      count(ctx, 'injected429');
      ctx.limits.recordRefused(
        search ? 'search' : 'burst',
        search ? String(token.hubId) : `${token.hubId}:${token.appId}`,
      );
      throw search ? searchRateLimited() : rateLimited('TEN_SECONDLY_ROLLING');
    }
    if (ctx.faults.serverErrors && rng.chance(ctx.faults.serverErrors.probability)) {
      count(ctx, 'injected5xx');
      throw serverError(ctx.faults.serverErrors.status ?? 503);
    }
    if (search) {
      count(ctx, 'search');
      ctx.limits.takeSearch(String(token.hubId));
    } else {
      res.set(ctx.limits.takeBurst(`${token.hubId}:${token.appId}`, { daily: token.kind === 'static' }));
    }
    next();
  });
  app.use(objectRoutes(ctx));
  app.use(searchRoutes(ctx));
  app.use(propertyRoutes(ctx));
  app.use(associationRoutes(ctx));
  app.use(portalRoutes(ctx));
  app.use(callbacks);

  app.use((req: Request) => {
    throw new HubSpotHttpError(404, {
      status: 'error',
      message: `Unable to route ${req.method} ${req.path}: no such endpoint.`,
      correlationId: randomUUID(),
      category: 'OBJECT_NOT_FOUND',
    });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    let failure = error;
    const parse = error as { type?: string; message?: string; status?: number };
    if (parse?.type === 'entity.parse.failed')
      failure = validationError(`Invalid input JSON on line 1: ${parse.message}`);
    else if (parse?.type === 'entity.too.large') {
      failure = new HubSpotHttpError(413, {
        status: 'error',
        message: 'Request body too large',
        correlationId: randomUUID(),
      });
    }
    if (!(failure instanceof HubSpotHttpError)) {
      console.error('hubspot sandbox: unexpected error', error);
      failure = serverError(500);
    }
    const f = failure as HubSpotHttpError;
    count(ctx, String(f.status));
    res.status(f.status).set(f.headers).json(f.body);
  });
  return app;
}
