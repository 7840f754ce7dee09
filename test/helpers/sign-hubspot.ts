import { createHash, createHmac } from 'node:crypto';

/** Signs a request the way HubSpot documents it, written from the spec (independent of the code under test). */
export function signV3(
  secret: string,
  method: string,
  url: string,
  body: string | Buffer,
  timestamp: number,
): Record<string, string> {
  const base = Buffer.concat([Buffer.from(`${method}${url}`), Buffer.from(body), Buffer.from(String(timestamp))]);
  return {
    'x-hubspot-signature-v3': createHmac('sha256', secret).update(base).digest('base64'),
    'x-hubspot-request-timestamp': String(timestamp),
  };
}

export function signV1(secret: string, body: string): Record<string, string> {
  return {
    'x-hubspot-signature': createHash('sha256')
      .update(secret + body)
      .digest('hex'),
    'x-hubspot-signature-version': 'v1',
  };
}

export function signV2(secret: string, method: string, url: string, body: string): Record<string, string> {
  return {
    'x-hubspot-signature': createHash('sha256')
      .update(secret + method + url + body)
      .digest('hex'),
    'x-hubspot-signature-version': 'v2',
  };
}
