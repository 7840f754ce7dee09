import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

const envelopeSchema = z.looseObject({
  algorithm: z.literal('HMACSHA256'),
  issuedAt: z.number().optional(),
  client: z.looseObject({ oauthToken: z.string().optional() }).optional(),
  context: z.looseObject({
    organization: z.looseObject({ organizationId: z.string().min(15) }),
    environment: z.looseObject({ parameters: z.record(z.string(), z.unknown()).optional() }).optional(),
  }),
});

export type CanvasEnvelope = z.infer<typeof envelopeSchema>;

/**
 * How old a signed request may be. Its `issuedAt` dates the OAuth token the request carries ("The timestamp when
 * the oauthToken was issued", Canvas Developer Guide, CanvasRequest), and that token lives no longer than the org's
 * session timeout, whose longest setting is 24 hours (Salesforce Help, "Session Security Settings"); a request dated
 * earlier carries a token Salesforce no longer honours, so it can only be a replay. 24 h rather than the 2 h default
 * timeout, so orgs with longer sessions keep their cards; 5 minutes of clock skew either way.
 */
export const CANVAS_MAX_AGE_MS = 24 * 3_600_000;
const SKEW_MS = 5 * 60_000;

/** `issuedAt` in milliseconds: Salesforce sends epoch seconds or milliseconds; anything else is not a time. */
function issuedAtMs(issuedAt: number | undefined): number | undefined {
  if (issuedAt === undefined || !Number.isFinite(issuedAt) || issuedAt <= 0) return undefined;
  return issuedAt < 1e11 ? issuedAt * 1000 : issuedAt;
}

/**
 * Verifies a Salesforce Canvas `signed_request` (`<base64 HMAC-SHA256 of the encoded envelope>.<base64 envelope>`,
 * keyed with the connected app's consumer secret) and issued within CANVAS_MAX_AGE_MS of `now`; returns the envelope,
 * or undefined when it does not verify or is too old (or undated).
 */
export function verifyCanvasRequest(
  signedRequest: string,
  consumerSecrets: readonly string[],
  now: number,
): CanvasEnvelope | undefined {
  const [signature, encoded] = signedRequest.split('.', 2);
  if (!signature || !encoded) return undefined;
  const given = Buffer.from(signature, 'base64');
  const ok = consumerSecrets.some((secret) => {
    const expected = createHmac('sha256', secret).update(encoded).digest();
    return secret.length > 0 && expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!ok) return undefined;
  try {
    const parsed = envelopeSchema.safeParse(JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')));
    if (!parsed.success) return undefined;
    const issued = issuedAtMs(parsed.data.issuedAt);
    if (issued === undefined || issued < now - CANVAS_MAX_AGE_MS || issued > now + SKEW_MS) return undefined;
    return parsed.data;
  } catch {
    return undefined;
  }
}
