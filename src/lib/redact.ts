/** Key names whose values are secrets wherever they appear in a log object (any depth, any casing, - or _). */
const SECRET_KEY_NAMES =
  'access[-_]?token|refresh[-_]?token|id[-_]?token|client[-_]?secret|authorization|proxy[-_]?authorization|password|passwd|api[-_]?key|developer[-_]?api[-_]?key|hapikey|code[-_]?verifier|private[-_]?key|cookie|set[-_]?cookie|x[-_]hubspot[-_]signature(?:[-_]v\\d)?|x[-_]csrf[-_]token|csrf[-_]?token|_csrf|signed[-_]?request|encryption[-_]?key|master[-_]?key|session[-_]?id|token';
const SECRET_KEY = new RegExp(`^(?:${SECRET_KEY_NAMES})$`, 'i');
/** The same keys as JSON members of a serialised line: `"cookie":"…"` (the value may hold escaped quotes). */
const JSON_SECRET_MEMBER = new RegExp(`("(?:${SECRET_KEY_NAMES})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi');
/** `Bearer x`, `OAuth x`, `Basic x` (Authorization schemes) inside any text. */
const AUTH_SCHEME = /\b(Bearer|OAuth|Basic)\s+[A-Za-z0-9._~+/=!-]+/g;
/** Query or form parameters that carry secrets (OAuth codes and state, tokens, passwords, signed requests). */
const URL_SECRET =
  /([?&;](?:code|state|token|code_verifier|access_token|refresh_token|id_token|client_secret|password|passwd|hapikey|api_key|signed_request|_csrf|csrf_token|session_id|sessionid)=)[^&\s"\\#]+/gi;
/** The same names assigned anywhere in text (`refresh_token=…` in an error message or a form body). */
const ASSIGNED_SECRET =
  /((?:^|[?&\s,;({])(?:access_token|refresh_token|id_token|client_secret|password|code_verifier|signed_request)=)[^&\s",;)}\\]+/gi;
/** JSON-looking text inside a string (a logged response or request body): `"refresh_token": "…"`. */
const QUOTED_SECRET =
  /((?:\\?")(?:access_token|refresh_token|id_token|client_secret|password|code_verifier|signed_request|accessToken|refreshToken|clientSecret)(?:\\?")\s*:\s*\\?")(?:[^"\\]|\\[^"])*/gi;
const CREDENTIAL_IN_URL = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s"\\]+:)[^@/\s"\\]+@/gi;
/** The per-org secret in a Salesforce outbound-message endpoint URL (`/webhooks/salesforce/<secret>`). */
const OUTBOUND_SECRET_PATH = /(\/webhooks\/salesforce\/)[A-Za-z0-9_-]{16,}/g;
/** The session cookie by name, wherever a Cookie header's text lands. */
const SESSION_COOKIE_VALUE = /(crm_agent_(?:session|install)=)[^;\s"\\]+/gi;

export const REDACTED = '[redacted]';

/**
 * Replaces secrets in a string: Authorization schemes' credentials, secrets in query strings and form bodies,
 * secret members of JSON text, passwords in URLs, outbound-message endpoint secrets, crm-agent's cookies.
 */
export function redactString(value: string): string {
  return value
    .replace(AUTH_SCHEME, `$1 ${REDACTED}`)
    .replace(URL_SECRET, `$1${REDACTED}`)
    .replace(ASSIGNED_SECRET, `$1${REDACTED}`)
    .replace(QUOTED_SECRET, `$1${REDACTED}`)
    .replace(CREDENTIAL_IN_URL, `$1${REDACTED}@`)
    .replace(OUTBOUND_SECRET_PATH, `$1${REDACTED}`)
    .replace(SESSION_COOKIE_VALUE, `$1${REDACTED}`);
}

/**
 * The last pass over a finished JSON log line, whatever produced it (child bindings and serializers run after
 * the object redaction, so a request bound to a child logger would otherwise be written as it came).
 */
export function redactLine(line: string): string {
  return redactString(line.replace(JSON_SECRET_MEMBER, `$1"${REDACTED}"`));
}

/** Whether a key names a secret (header, field or parameter name). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
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
