import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { redactLine, redactSecrets, redactString } from './redact.js';

export type { Logger } from 'pino';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type LogFormat = 'json' | 'pretty' | 'auto';

export interface LoggerSettings {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; stdout when omitted. Tests pass a stream and read the JSON lines back. */
  destination?: DestinationStream;
  /** Whether the destination is a terminal, for `format: 'auto'`; defaults to stdout's. */
  isTTY?: boolean;
}

/**
 * The root logger: JSON lines, or pretty lines when attached to a terminal. Secrets (access and refresh
 * tokens, client secrets, Authorization headers, passwords in URLs) are redacted on every line, at any
 * depth, including inside serialised errors and the message itself. Children carry context:
 * `logger.child({ tenantId })`, `{ runId }`, `{ reqId }`.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { pid: process.pid },
    // Redaction runs before serializers and already turns errors into plain objects (type, message, stack).
    formatters: { log: (object) => redactSecrets(object) as Record<string, unknown> },
    serializers: { err: (error: unknown) => error },
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((arg) => (typeof arg === 'string' ? redactString(arg) : arg));
        method.apply(this, redacted as Parameters<typeof method>);
      },
      streamWrite: redactLine,
    },
  };
  const usePretty =
    settings.format === 'pretty' || (settings.format === 'auto' && (settings.isTTY ?? process.stdout.isTTY === true));
  if (usePretty) {
    const stream = pretty({
      colorize: settings.destination === undefined,
      destination: settings.destination ?? 1,
      sync: true,
    });
    return pino(options, stream);
  }
  return pino(options, settings.destination ?? pino.destination({ dest: 1, sync: false }));
}

/** A logger that drops everything, for tests and library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
