/** Keys whose values are secrets wherever they appear in a log object (any depth, any casing, - or _). */
const SECRET_KEY =
  /^(access[-_]?token|refresh[-_]?token|client[-_]?secret|authorization|proxy[-_]?authorization|password|passwd|api[-_]?key|developer[-_]?api[-_]?key|code[-_]?verifier|private[-_]?key|cookie|set[-_]?cookie|x[-_]hubspot[-_]signature(-v3)?|encryption[-_]?key|master[-_]?key|session[-_]?id|token)$/i;
const BEARER = /\b(Bearer|OAuth)\s+[A-Za-z0-9._~+/=!-]+/g;
const URL_SECRET = /([?&](?:code|token|code_verifier)=)[^&\s"]+/gi;
const ASSIGNED_SECRET = /((?:^|[?&\s,;({])(?:access_token|refresh_token|client_secret)=)[^&\s",;)}]+/gi;
const CREDENTIAL_IN_URL = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@/\s]+@/gi;

export const REDACTED = '[redacted]';

/** Replaces secrets in a string: bearer tokens, tokens in query strings, passwords in URLs. */
export function redactString(value: string): string {
  return value
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(URL_SECRET, `$1${REDACTED}`)
    .replace(ASSIGNED_SECRET, `$1${REDACTED}`)
    .replace(CREDENTIAL_IN_URL, `$1${REDACTED}@`);
}

/**
 * A copy of `value` with every secret replaced. Used by the logger on every line, so it copies only
 * what it must and stops at a depth where no credential of ours lives.
 */
export function redactSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1, seen));
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  if (value instanceof Error) {
    // Serialise here (message and stack are not enumerable), so nothing of an error escapes redaction.
    out.type = value.name;
    out.message = redactString(value.message);
    if (value.stack) out.stack = redactString(value.stack);
    if (value.cause !== undefined) out.cause = redactSecrets(value.cause, depth + 1, seen);
  }
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && inner != null && inner !== '' ? REDACTED : redactSecrets(inner, depth + 1, seen);
  }
  return out;
}
