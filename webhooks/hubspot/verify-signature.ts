import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** How far a v3 timestamp may be from our clock, either way (HubSpot: 5 minutes). */
export const MAX_SKEW_MS = 5 * 60_000;

export interface HubSpotSignedRequest {
  method: string;
  /** The full URL HubSpot called (scheme, host, path and query), as HubSpot saw it. */
  url: string;
  /** The body exactly as received: never re-serialised JSON. */
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export type SignatureVersion = 'v1' | 'v2' | 'v3';

export type VerifyResult = { ok: true; version: SignatureVersion } | { ok: false; reason: string };

/**
 * Which signature versions each endpoint accepts. HubSpot adds v3 (timestamped, 5-minute window) to every request it
 * sends an OAuth app's webhook target and to `hubspot.fetch` calls from app cards (developers.hubspot.com changelog
 * "Introducing version 3 of webhook signatures"; docs "Validating requests from HubSpot"), so those accept nothing
 * older: a captured v1 body could otherwise be replayed forever. Custom workflow-action calls are documented as
 * signed v2 (developers.hubspot.com "Custom workflow actions": "Requests made for your custom action use the v2
 * version of the X-HubSpot-Signature"), so v2 stays accepted there, and v3 when HubSpot sends it.
 */
export const ACCEPTED_VERSIONS = {
  webhooks: ['v3'],
  card: ['v3'],
  workflowAction: ['v2', 'v3'],
} as const satisfies Record<string, readonly SignatureVersion[]>;

/**
 * Verifies a HubSpot request signature against each of `secrets` (the app's client secret, plus the previous one
 * during a rotation). v3 (`X-HubSpot-Signature-v3`: base64 HMAC-SHA256 keyed with the secret over method + URI +
 * body + timestamp) is preferred and its timestamp must be within ±5 minutes of `now`; v1/v2
 * (`X-HubSpot-Signature` + `-Version`: hex SHA-256 of secret + body, or secret + method + URL + body) are checked
 * only when no v3 header is present, and only for the versions in `accept` (see ACCEPTED_VERSIONS).
 * Every comparison is constant-time. Pure: the clock comes in as `now`.
 */
export function verifyHubSpotSignature(
  request: HubSpotSignedRequest,
  secrets: readonly string[],
  now: number,
  options: { accept?: readonly SignatureVersion[] } = {},
): VerifyResult {
  const usable = secrets.filter((s) => s.length > 0);
  if (usable.length === 0) return { ok: false, reason: 'no client secret configured' };
  const accept = options.accept ?? ['v1', 'v2', 'v3'];
  const v3 = header(request.headers, 'x-hubspot-signature-v3');
  if (v3 !== undefined && accept.includes('v3')) {
    const timestamp = header(request.headers, 'x-hubspot-request-timestamp');
    if (timestamp === undefined) return { ok: false, reason: 'missing X-HubSpot-Request-Timestamp' };
    if (!/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: 'malformed X-HubSpot-Request-Timestamp' };
    const skew = Math.abs(now - Number(timestamp));
    if (skew > MAX_SKEW_MS) return { ok: false, reason: `timestamp ${Math.round(skew / 1000)} s away from now` };
    const base = Buffer.concat([
      Buffer.from(request.method.toUpperCase() + decodeUri(request.url), 'utf8'),
      request.rawBody,
      Buffer.from(timestamp, 'utf8'),
    ]);
    const matches = usable.some((secret) => safeEqual(createHmac('sha256', secret).update(base).digest('base64'), v3));
    return matches ? { ok: true, version: 'v3' } : { ok: false, reason: 'v3 signature mismatch' };
  }
  const legacy = header(request.headers, 'x-hubspot-signature');
  if (legacy === undefined) return { ok: false, reason: 'missing signature header' };
  const version = (header(request.headers, 'x-hubspot-signature-version') ?? 'v1').toLowerCase();
  if (version !== 'v1' && version !== 'v2') return { ok: false, reason: `unknown signature version ${version}` };
  if (!accept.includes(version)) return { ok: false, reason: `${version} signatures are not accepted here` };
  const matches = usable.some((secret) => {
    const hash = createHash('sha256').update(secret, 'utf8');
    if (version === 'v2') hash.update(request.method.toUpperCase() + request.url, 'utf8');
    return safeEqual(hash.update(request.rawBody).digest('hex'), legacy.toLowerCase());
  });
  return matches ? { ok: true, version } : { ok: false, reason: `${version} signature mismatch` };
}

/**
 * HubSpot signs the URI with exactly these percent-escapes decoded and no others (crm-apis.md §4).
 */
const DECODED: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

export function decodeUri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => DECODED[m.toUpperCase()] ?? m);
}

function header(headers: HubSpotSignedRequest['headers'], name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function safeEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
