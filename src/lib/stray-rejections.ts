import type { Logger } from './logger.js';

/**
 * For long-running processes (serve, worker, demo): a promise rejected with nobody listening is logged instead of
 * ending the process. Libraries have such paths when the database goes away (pg-boss completing a job while
 * PostgreSQL restarts); one lost bookkeeping call must not take every running job down with the process.
 * Returns the function that removes the handler.
 */
export function logStrayRejections(logger: Logger): () => void {
  const onRejection = (reason: unknown) => {
    logger.error({ err: reason }, 'a background promise failed with nobody waiting for it (logged; still running)');
  };
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('unhandledRejection', onRejection);
  };
}
