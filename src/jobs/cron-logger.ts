import type { Logger } from '../lib/logger.js';

/** node-cron's logger interface (its own prints raw coloured lines to the console). */
export interface CronLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string | Error, err?: Error): void;
  debug(message: string | Error, err?: Error): void;
}

/** node-cron's messages as crm-agent log events (component `node-cron`), in the console's one format. */
export function cronLogger(logger: Logger): CronLogger {
  const log = logger.child({ component: 'node-cron' });
  const split = (message: string | Error, err?: Error): [Record<string, unknown>, string] =>
    message instanceof Error ? [{ err: message }, message.message] : [err ? { err } : {}, message];
  return {
    info: (message) => log.info(message),
    warn: (message) => log.warn(message),
    error: (message, err) => log.error(...split(message, err)),
    debug: (message, err) => log.debug(...split(message, err)),
  };
}
