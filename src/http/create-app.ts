import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import { pinoHttp } from 'pino-http';
import { ErrorCode, isCrmAgentError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Store } from '../store/open-store.js';
import { healthzRouter } from './routes/healthz.js';

export interface AppDeps {
  store: Store;
  logger: Logger;
  version: string;
  /** Feature routers the composition root mounts (webhooks, install, dashboard). */
  routers?: Router[];
}

/** HTTP status for each error code raised on purpose; anything else is a 500. */
const STATUS_BY_CODE: Partial<Record<string, number>> = {
  [ErrorCode.StoreUnreachable]: 503,
  [ErrorCode.Usage]: 400,
};

/** The express app, without listening: `serve` binds it to a port, tests drive it with supertest. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : randomUUID()),
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'debug',
    }),
  );
  app.use(healthzRouter(deps));
  for (const router of deps.routers ?? []) app.use(router);
  app.use((_req, res) => {
    res.status(404).json({ status: 'error', message: 'not found' });
  });
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    const status = isCrmAgentError(error) ? (STATUS_BY_CODE[error.code] ?? 500) : 500;
    req.log.error({ err: error }, 'request failed');
    res.status(status).json({ status: 'error', message: status === 500 ? 'internal error' : (error as Error).message });
  };
  app.use(onError);
  return app;
}
