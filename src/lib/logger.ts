import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { readableLines } from './log-line.js';
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
 * The root logger: JSON lines, or one readable line per event when attached to a terminal. Secrets (access and refresh
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
  const isTTY = settings.isTTY ?? process.stdout.isTTY === true;
  if (usePrettyFormat(settings.format, isTTY)) {
    // One readable line per event (src/lib/log-line.ts), coloured on a terminal.
    return pino(options, readableLines(settings.destination ?? process.stdout, { colours: isTTY }));
  }
  return pino(options, settings.destination ?? pino.destination({ dest: 1, sync: false }));
}

/** Readable lines on a terminal (`auto`) or when asked (`pretty`); JSON lines otherwise and always for `json`. */
export function usePrettyFormat(format: LogFormat, isTTY: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && isTTY);
}

/** A logger that drops everything, for tests and library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
