import { Router } from 'express';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Store } from '../../store/open-store.js';

/**
 * `GET /healthz`: 200 `{status: "ok", version, schemaVersion}` when the store answers,
 * 503 `{status: "unavailable"}` when it does not (load balancers take the instance out).
 */
export function healthzRouter(deps: { store: Store; version: string; logger: Logger }): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    try {
      await deps.store.ping();
      const schemaVersion = await deps.store.schemaVersion();
      res.status(200).json({ status: 'ok', version: deps.version, schemaVersion });
    } catch (error) {
      deps.logger.warn({ err: error }, 'health check failed: store unreachable');
      res.status(503).json({ status: 'unavailable', version: deps.version, error: describeError(error) });
    }
  });
  return router;
}
