const LEVELS: Record<number, { name: string; colour: string }> = {
  10: { name: 'TRACE', colour: '\x1b[90m' },
  20: { name: 'DEBUG', colour: '\x1b[90m' },
  30: { name: 'INFO', colour: '\x1b[32m' },
  40: { name: 'WARN', colour: '\x1b[33m' },
  50: { name: 'ERROR', colour: '\x1b[31m' },
  60: { name: 'FATAL', colour: '\x1b[35m' },
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
/** Fields every line has, or that say nothing to a person reading a console. */
const SKIPPED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);
const MAX_VALUE = 160;

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const short = value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE - 1)}…` : value;
    return /^[^\s"=]+$/.test(short) ? short : JSON.stringify(short);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * One pino record (a parsed JSON line) as one readable console line: time (HH:MM:SS, local), level, message, then
 * its scalar fields as `key=value` (an error as its message; nested objects are left to the JSON format). Never
 * more than one line: newlines in the message or values are shown escaped.
 */
export function formatLogLine(record: Record<string, unknown>, options: { colours?: boolean } = {}): string {
  const level = LEVELS[Number(record.level)] ?? { name: String(record.level ?? '?').toUpperCase(), colour: '' };
  const time = typeof record.time === 'number' ? new Date(record.time) : new Date();
  const clock = [time.getHours(), time.getMinutes(), time.getSeconds()].map((n) => String(n).padStart(2, '0'));
  const fields: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (SKIPPED.has(key)) continue;
    // pino-http's request and response objects: the request line and the status.
    if (key === 'req' && value && typeof value === 'object') {
      const { method, url } = value as { method?: unknown; url?: unknown };
      if (typeof method === 'string' && typeof url === 'string') fields.push(`${method} ${url}`);
      continue;
    }
    if (key === 'res' && value && typeof value === 'object') {
      const status = scalar((value as { statusCode?: unknown }).statusCode);
      if (status) fields.push(`status=${status}`);
      continue;
    }
    if (key === 'err' && value && typeof value === 'object') {
      const message = scalar((value as { message?: unknown }).message);
      if (message) fields.push(`err=${message}`);
      continue;
    }
    const shown = scalar(value);
    if (shown !== undefined) fields.push(`${key}=${shown}`);
  }
  const message = typeof record.msg === 'string' ? record.msg : '';
  const paint = (colour: string, text: string) => (options.colours && colour ? `${colour}${text}${RESET}` : text);
  const line = [
    paint(DIM, clock.join(':')),
    paint(level.colour, level.name.padEnd(5)),
    message,
    fields.length > 0 ? paint(DIM, fields.join(' ')) : '',
  ]
    .filter((part) => part !== '')
    .join(' ');
  return line.replace(/\r?\n/g, '\\n');
}

/** A pino destination that writes each JSON line it receives as one readable line to `out`. */
export function readableLines(
  out: { write(chunk: string): unknown },
  options: { colours?: boolean } = {},
): { write(line: string): void } {
  return {
    write(line: string) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line.endsWith('\n') ? line : `${line}\n`);
        return;
      }
      out.write(`${formatLogLine(record, options)}\n`);
    },
  };
}
