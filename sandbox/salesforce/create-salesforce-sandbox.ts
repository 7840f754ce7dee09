import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request, type Response } from 'express';
import { type Clock, systemClock } from '../../src/lib/clock.js';
import { generateWorld } from '../world/generate-world.js';
import type { World } from '../world/world.js';
import { BulkJobs } from './bulk-jobs.js';
import type { SandboxContext } from './context.js';
import { controlHttp, createControl, type SandboxControl } from './control.js';
import { SalesforceError, sessionInvalid } from './errors.js';
import { type ApiRequest, type ApiResponse, dispatch, type Route } from './http.js';
import { idSuffix } from './ids.js';
import { ApiLimits } from './limits.js';
import { type OAuthClient, OAuthServer } from './oauth.js';
import { OutboundMessenger } from './outbound-messages.js';
import { QueryCursors } from './query-cursors.js';
import { type CanvasApp, newSessionId, recordPageHandler, recordPagePath } from './record-pages.js';
import { bulk2Routes } from './routes/bulk2.js';
import { collectionRoutes } from './routes/collections.js';
import { compositeRoutes } from './routes/composite.js';
import { queryRoutes } from './routes/query.js';
import { sobjectRoutes } from './routes/sobjects.js';
import { toolingRoutes } from './routes/tooling.js';
import { type SeedIds, seedOrg } from './seed.js';
import { OrgState } from './state.js';

/** The newest REST API version the sandbox serves (Winter '25); it answers every version from 20.0 up to it. */
export const SANDBOX_API_VERSION = '62.0';
const OLDEST_VERSION = 20;
export const DEFAULT_SANDBOX_TOKEN = 'sandbox-salesforce-token';

export interface SalesforceSandboxOptions {
  seed?: number;
  accounts?: number;
  contacts?: number;
  opportunities?: number;
  owners?: number;
  /** The org's currency (`Organization.DefaultCurrencyIsoCode`; multi-currency off); default USD. */
  currency?: string;
  /** The world's today (ISO date); default the first day of the current UTC month. */
  asOf?: string;
  clock?: Clock;
  /** A static access token for the API user (a pasted session); default `sandbox-salesforce-token`. */
  token?: string;
  clientId?: string;
  clientSecret?: string;
  clients?: OAuthClient[];
  /** `off`: count API use but never refuse (fast tests). Default `real`. */
  limits?: 'real' | 'off';
  /** The org's daily API allocation (Enterprise Edition: 100,000 + 1,000 per licence). Default 110,000. */
  dailyLimit?: number;
  /** Where outbound messages go; none are sent without it (or before `configureOutboundMessage`). */
  outboundUrl?: string;
  /** Outbound messages carry a `SessionId` ("Send Session ID" checked); default false. */
  outboundSendSessionId?: boolean;
  /** The criterion formula of the rule sending them (see `ruleCriterion`); default none: every save sends one. */
  outboundRuleFormula?: string;
  /** Idle session timeout; default 2 hours. */
  sessionTimeoutMs?: number;
  /** Rotate refresh tokens on every refresh (External Client Apps do). */
  rotateRefreshTokens?: boolean;
  /** How long Bulk API jobs take on the sandbox's clock; default 0 (done by the first poll). */
  bulkLatencyMs?: number;
  /** Used to deliver outbound messages. */
  fetch?: typeof fetch;
  /** Canvas apps the record pages show (a Visualforce page with `<apex:canvasApp>` on each page layout). */
  canvasApps?: readonly CanvasApp[];
}

export interface RequestEvent {
  method: string;
  path: string;
  status: number;
  /** The REST API call number (calls that counted against the allocation), when it was one. */
  apiCall?: number;
}

export interface SalesforceSandbox {
  app: Express;
  server: Server | undefined;
  /** The base URL once listening (login host and, until the org moves, instance URL). */
  url: string;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  world: World;
  ids: SeedIds;
  state: OrgState;
  context: SandboxContext;
  control: SandboxControl;
  outbound: OutboundMessenger | undefined;
  /**
   * What an admin does in Setup: points the org's outbound messages at `url` (the Endpoint URL field), optionally with
   * "Send Session ID", and the criterion formula of the workflow rule that sends them (as crm-agent's metadata
   * writes it: every save but those of its integration user); creates the messenger on first use.
   */
  configureOutboundMessage(url: string, options?: { sendSessionId?: boolean; ruleFormula?: string }): OutboundMessenger;
  /** The Lightning page of a record (its fields and the Canvas apps), once listening. */
  recordPageUrl(object: string, id: string): string;
  /** Emits `request` (RequestEvent) after every answered request. */
  events: EventEmitter;
  /** REST API calls answered (those counted against the allocation), and the last error a handler threw. */
  stats: { apiCalls: number; unexpectedErrors: unknown[] };
}

function firstOfMonth(now: number): string {
  const d = new Date(now);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)).toISOString();
}

function versionLabel(v: number): string {
  const offset = 62 - v;
  const season = ['Winter', 'Summer', 'Spring'][((offset % 3) + 3) % 3]!;
  const year = season === 'Winter' ? 25 - offset / 3 : 24 - Math.floor(offset / 3);
  return `${season} '${String(Math.round(year)).padStart(2, '0')}`;
}

/**
 * A Salesforce org on localhost: the REST API (query, sObjects, collections, composite, Bulk API 2.0, Tooling),
 * OAuth, limits, outbound messages and a seeded world, behaving like the real service so that jsforce and
 * crm-agent's connector work against it unchanged.
 */
export function createSalesforceSandbox(options: SalesforceSandboxOptions = {}): SalesforceSandbox {
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? 1;
  const world = generateWorld({
    seed,
    companies: options.accounts ?? 500,
    contacts: options.contacts ?? 5000,
    deals: options.opportunities ?? 2000,
    ...(options.owners !== undefined ? { owners: options.owners } : {}),
    asOf: options.asOf ?? firstOfMonth(clock.now()),
  });
  const pod = `${'abcdefghjkmnpqrstuvwxyz'[seed % 23]}${(seed >> 3) % 10}`;
  const orgId = `00D${pod}0${String(seed % 1e9).padStart(9, '0')}`;
  const state = new OrgState(clock, `${orgId}${idSuffix(orgId)}`, pod, (seed % 9973) * 1000);
  const ids = seedOrg(state, world, { currency: options.currency ?? 'USD' });

  let baseUrl = 'http://127.0.0.1';
  let movedTo: string | undefined;
  const instanceUrl = () => movedTo ?? baseUrl;
  const oauth = new OAuthServer(
    state,
    clock,
    () => ids.apiUserId,
    { login: () => baseUrl, instance: instanceUrl },
    {
      clients: [
        ...(options.clients ?? []),
        ...(options.clientId ? [{ clientId: options.clientId, clientSecret: options.clientSecret ?? '' }] : []),
      ],
      ...(options.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: options.sessionTimeoutMs } : {}),
      ...(options.rotateRefreshTokens !== undefined ? { rotateRefreshTokens: options.rotateRefreshTokens } : {}),
    },
  );
  oauth.addStaticToken(options.token ?? DEFAULT_SANDBOX_TOKEN);
  const context: SandboxContext = {
    state,
    clock,
    limits: new ApiLimits(clock, options.dailyLimit ?? 110_000, options.limits !== 'off'),
    oauth,
    cursors: new QueryCursors(state, clock),
    bulk: new BulkJobs(state, clock, options.bulkLatencyMs ?? 0),
    ids,
    events: [],
    deleteLogTrimmedBefore: 0,
  };
  const control = createControl(context, {
    world,
    moveInstance: (url) => {
      movedTo = url.replace(/\/+$/, '');
    },
  });
  let outboundSession: string | undefined;
  const newMessenger = (url: string, sendSessionId: boolean, ruleFormula: string | undefined) =>
    new OutboundMessenger({
      url,
      ...(ruleFormula ? { ruleFormula } : {}),
      ...(sendSessionId
        ? {
            // "Send Session ID": a live session of the integration user, as Salesforce sends it.
            sessionId: () => {
              if (!outboundSession) {
                outboundSession = `${state.orgId.slice(0, 15)}!${randomBytes(24).toString('base64url')}`;
                oauth.addStaticToken(outboundSession);
              }
              return outboundSession;
            },
          }
        : {}),
      state,
      clock,
      fetch: options.fetch ?? globalThis.fetch,
      instanceUrl,
      version: SANDBOX_API_VERSION,
    });
  const outbound = options.outboundUrl
    ? newMessenger(options.outboundUrl, options.outboundSendSessionId ?? false, options.outboundRuleFormula)
    : undefined;

  const routes: Route[] = [];
  routes.push(
    ...queryRoutes(context),
    ...collectionRoutes(context),
    ...compositeRoutes(context, () => routes),
    ...bulk2Routes(context),
    ...toolingRoutes(context),
    ...sobjectRoutes(context),
  );

  const events = new EventEmitter();
  const stats = { apiCalls: 0, unexpectedErrors: [] as unknown[] };
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(express.raw({ type: () => true, limit: '200mb' }));
  // A person's pages in Lightning Experience (signed in as the API user), not the API: nothing counts against limits.
  let pageSession: string | undefined;
  app.get(
    '/lightning/r/:object/:id/view',
    recordPageHandler({
      state,
      instanceUrl,
      userId: () => ids.apiUserId,
      session: () => {
        // Each page view is the user's activity: a session that has timed out is replaced, as signing in again would.
        if (!pageSession || !oauth.authenticate(pageSession)) {
          pageSession = newSessionId(state.orgId);
          oauth.addStaticToken(pageSession);
        }
        return pageSession;
      },
      canvasApps: options.canvasApps ?? [],
      version: SANDBOX_API_VERSION,
    }),
  );
  app.use((req: Request, res: Response) => {
    const url = new URL(req.originalUrl, 'http://sandbox.invalid');
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let result: {
      status: number;
      body?: unknown;
      text?: string;
      contentType?: string;
      headers?: Record<string, string>;
    };
    let apiCall: number | undefined;
    try {
      const api = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(url.pathname);
      if (url.pathname === '/services/data' || url.pathname === '/services/data/') {
        result = {
          status: 200,
          body: Array.from({ length: 62 - OLDEST_VERSION + 1 }, (_, i) => {
            const v = OLDEST_VERSION + i;
            return { label: versionLabel(v), url: `/services/data/v${v}.0`, version: `${v}.0` };
          }),
        };
      } else if (api) {
        const r = apiCall$(req, url, api[1]!, api[2] ?? '', body);
        result = r.response;
        apiCall = r.apiCall;
      } else if (url.pathname.startsWith('/services/oauth2/') || url.pathname.startsWith('/id/')) {
        result = oauthCall(req, url, body);
      } else if (url.pathname.startsWith('/__sandbox')) {
        let parsed: Record<string, unknown> | undefined;
        try {
          parsed = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
        } catch {
          parsed = undefined;
        }
        result = parsed
          ? controlHttp(control, req.method, url.pathname, parsed, url.searchParams)
          : { status: 400, body: { error: 'the body must be JSON' } };
      } else {
        result = { status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] };
      }
    } catch (error) {
      if (error instanceof SalesforceError) result = { status: error.status, body: error.toBody() };
      else {
        stats.unexpectedErrors.push(error);
        result = {
          status: 500,
          body: [
            {
              errorCode: 'UNKNOWN_EXCEPTION',
              message:
                'An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-123456789)',
            },
          ],
        };
      }
    }
    res.status(result.status);
    for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
    if (result.text !== undefined) {
      res.setHeader('content-type', result.contentType ?? 'text/plain');
      res.send(result.text);
    } else if (result.body === undefined || result.status === 204) {
      res.end();
    } else if (typeof result.body === 'string') {
      res.setHeader('content-type', result.contentType ?? 'text/plain;charset=UTF-8');
      res.send(result.body);
    } else {
      res.setHeader('content-type', 'application/json;charset=UTF-8');
      res.send(JSON.stringify(result.body));
    }
    events.emit('request', {
      method: req.method,
      path: url.pathname,
      status: result.status,
      ...(apiCall ? { apiCall } : {}),
    } satisfies RequestEvent);
  });

  function apiCall$(
    req: Request,
    url: URL,
    version: string,
    path: string,
    body: Buffer,
  ): { response: ApiResponse; apiCall?: number } {
    const v = Number(version);
    if (!Number.isInteger(v) || v < OLDEST_VERSION || v > 62) {
      return {
        response: { status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] },
      };
    }
    const authorization = req.headers.authorization ?? '';
    const token = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(authorization)?.[1];
    const userId = oauth.authenticate(token);
    if (!userId || (movedTo && req.headers.host !== new URL(movedTo).host)) {
      return { response: { status: 401, body: sessionInvalid().toBody() } };
    }
    let limitHeader: string;
    try {
      limitHeader = context.limits.take();
    } catch (error) {
      return {
        response: {
          status: 403,
          body: (error as SalesforceError).toBody(),
          headers: { 'sforce-limit-info': context.limits.header() },
        },
      };
    }
    stats.apiCalls++;
    const headers: Record<string, string | undefined> = {};
    for (const [k, val] of Object.entries(req.headers)) headers[k] = Array.isArray(val) ? val.join(', ') : val;
    const request: ApiRequest = {
      method: req.method,
      path: path || '/',
      query: url.searchParams,
      headers,
      body,
      version,
      userId,
    };
    const response = dispatch(routes, request);
    return {
      response: { ...response, headers: { ...response.headers, 'sforce-limit-info': limitHeader } },
      apiCall: stats.apiCalls,
    };
  }

  function oauthCall(req: Request, url: URL, body: Buffer) {
    const form = new URLSearchParams(body.toString('utf8'));
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/services/oauth2/authorize' && req.method === 'GET') return oauth.authorize(url.searchParams);
    if (path === '/services/oauth2/token' && req.method === 'POST') return oauth.token(form, req.headers.authorization);
    if (path === '/services/oauth2/revoke') return oauth.revoke(form.get('token') ?? url.searchParams.get('token'));
    const token =
      /^(?:Bearer|OAuth)\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ??
      url.searchParams.get('oauth_token') ??
      form.get('access_token') ??
      undefined;
    const userId = oauth.authenticate(token);
    const identity = /^\/id\/(\w+)\/(\w+)$/.exec(path);
    if (path === '/services/oauth2/userinfo' || identity) {
      if (!userId) return { status: 403, body: 'Bad_OAuth_Token', contentType: 'text/plain' };
      if (identity && (identity[1] !== state.orgId || identity[2] !== userId))
        return { status: 403, body: 'Bad_Id', contentType: 'text/plain' };
      return {
        status: 200,
        body: identity ? oauth.identity(userId, '{version}') : oauth.userinfo(userId, '{version}'),
      };
    }
    return { status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] };
  }

  const sandbox: SalesforceSandbox = {
    app,
    server: undefined,
    get url() {
      return baseUrl;
    },
    async listen(port = 0, host = '127.0.0.1') {
      const server = app.listen(port, host);
      sandbox.server = server;
      await new Promise<void>((resolve, reject) => {
        server.once('listening', resolve);
        server.once('error', reject);
      });
      const address = server.address() as AddressInfo;
      baseUrl = `http://${host}:${address.port}`;
      return baseUrl;
    },
    async close() {
      sandbox.outbound?.close();
      const server = sandbox.server;
      if (!server) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    world,
    ids,
    state,
    context,
    control,
    outbound,
    configureOutboundMessage(url, configure = {}) {
      if (sandbox.outbound) {
        sandbox.outbound.setUrl(url);
        if ('ruleFormula' in configure) sandbox.outbound.setRuleFormula(configure.ruleFormula);
      } else sandbox.outbound = newMessenger(url, configure.sendSessionId ?? false, configure.ruleFormula);
      return sandbox.outbound;
    },
    recordPageUrl(object, id) {
      return `${instanceUrl()}${recordPagePath(object, id)}`;
    },
    events,
    stats,
  };
  return sandbox;
}
