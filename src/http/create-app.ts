import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import { pinoHttp } from 'pino-http';
import { ErrorCode, isCrmAgentError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { redactString } from '../lib/redact.js';
import type { Store } from '../store/open-store.js';
import { healthzRouter } from './routes/healthz.js';
import { type SecurityOptions, securityHeaders } from './security-headers.js';

export interface AppDeps {
  store: Store;
  logger: Logger;
  version: string;
  /** Feature routers the composition root mounts (webhooks, install, dashboard). */
  routers?: Router[];
  /** HSTS and the framing of the card paths (`securityOptionsFor(config, manifest)`); without it nothing may frame. */
  security?: SecurityOptions;
}

/** HTTP status for each error code raised on purpose; anything else is a 500. */
const STATUS_BY_CODE: Partial<Record<string, number>> = {
  [ErrorCode.StoreUnreachable]: 503,
  [ErrorCode.Usage]: 400,
};

/** Short answers for client errors raised by express itself, body-parser or `send` (they carry `status`). */
const CLIENT_ERROR_MESSAGES: Partial<Record<number, string>> = {
  400: 'bad request',
  403: 'forbidden',
  404: 'not found',
  405: 'method not allowed',
  413: 'request body too large',
  415: 'unsupported content type or encoding',
};

/** Request headers worth a log line; the rest (Cookie, Authorization, CSRF tokens, signatures) never are. */
const LOGGED_HEADERS = ['host', 'user-agent', 'content-type', 'content-length', 'x-forwarded-for'];

/** What a request log line says about the request: no query values of secrets, no credentials. */
function requestForLog(req: IncomingMessage & { id?: unknown; originalUrl?: string }) {
  const headers: Record<string, unknown> = {};
  for (const name of LOGGED_HEADERS) if (req.headers?.[name] !== undefined) headers[name] = req.headers[name];
  return {
    id: req.id,
    method: req.method,
    url: redactString(req.originalUrl ?? req.url ?? ''),
    headers,
    remoteAddress: req.socket?.remoteAddress,
  };
}

/** The status of an error that is the client's fault (express, body-parser, send set `status` 4xx), else undefined. */
function clientErrorStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status;
  const code = typeof status === 'number' ? status : (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' && code >= 400 && code < 500 ? code : undefined;
}

const EXPECTED_REFUSALS = new Set([401, 403, 404]);

/** The express app, without listening: `serve` binds it to a port, tests drive it with supertest. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : randomUUID()),
      // Our own serializers, unwrapped: the request is bound to the child logger (bindings skip the logger's
      // object redaction), so it is reduced here to what is safe to write.
      wrapSerializers: false,
      serializers: { req: requestForLog },
      customSuccessObject: (_req, res, value) => ({ ...value, res: { statusCode: res.statusCode } }),
      customErrorObject: (_req, res, _error, value) => ({ ...value, res: { statusCode: res.statusCode } }),
      // Not signed in, no such page, not allowed (a browser's favicon, an expired session) are expected: info, one
      // line; other client errors warn; failures are errors.
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500
          ? 'error'
          : EXPECTED_REFUSALS.has(res.statusCode)
            ? 'info'
            : res.statusCode >= 400
              ? 'warn'
              : 'debug',
    }),
  );
  app.use(securityHeaders(deps.security));
  app.use(healthzRouter(deps));
  for (const router of deps.routers ?? []) app.use(router);
  app.use((_req, res) => {
    res.status(404).json({ status: 'error', message: 'not found' });
  });
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    const clientStatus = clientErrorStatus(error);
    if (clientStatus !== undefined) {
      // A malformed URL, an oversized or badly encoded body, a file that is not there: the client's mistake.
      const type = (error as { type?: unknown }).type;
      req.log.warn({ status: clientStatus, ...(typeof type === 'string' ? { type } : {}) }, 'request refused');
      if (res.headersSent) return void res.end();
      res.status(clientStatus).json({ status: 'error', message: CLIENT_ERROR_MESSAGES[clientStatus] ?? 'bad request' });
      return;
    }
    const status = isCrmAgentError(error) ? (STATUS_BY_CODE[error.code] ?? 500) : 500;
    req.log.error({ err: error }, 'request failed');
    if (res.headersSent) return void res.end();
    res.status(status).json({ status: 'error', message: status === 500 ? 'internal error' : (error as Error).message });
  };
  app.use(onError);
  return app;
}
