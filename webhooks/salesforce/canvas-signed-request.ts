import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

const envelopeSchema = z.looseObject({
  algorithm: z.literal('HMACSHA256'),
  issuedAt: z.number().optional(),
  context: z.looseObject({
    organization: z.looseObject({ organizationId: z.string().min(15) }),
    environment: z.looseObject({ parameters: z.record(z.string(), z.unknown()).optional() }).optional(),
  }),
});

export type CanvasEnvelope = z.infer<typeof envelopeSchema>;

/**
 * Verifies a Salesforce Canvas `signed_request` (`<base64 HMAC-SHA256 of the encoded envelope>.<base64 envelope>`,
 * keyed with the connected app's consumer secret) and returns the envelope, or undefined when it does not verify.
 */
export function verifyCanvasRequest(
  signedRequest: string,
  consumerSecrets: readonly string[],
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
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
