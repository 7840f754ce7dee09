import { describe, expect, it } from '@jest/globals';
import { ACCEPTED_VERSIONS, decodeUri, verifyHubSpotSignature } from '../../../webhooks/hubspot/verify-signature.js';
import { signV1, signV2, signV3 } from '../../helpers/sign-hubspot.js';

const secret = 'client-secret-123';
const url = 'https://crm-agent.example.com/webhooks/hubspot?portal=1';
const body = JSON.stringify([
  { eventId: 1, subscriptionId: 2, portalId: 3, occurredAt: 1, subscriptionType: 'contact.creation', objectId: 4 },
]);
const now = 1_790_000_000_000;

function verify(
  headers: Record<string, string>,
  options: { rawBody?: Buffer; secrets?: string[]; at?: number; url?: string } = {},
) {
  return verifyHubSpotSignature(
    { method: 'POST', url: options.url ?? url, rawBody: options.rawBody ?? Buffer.from(body), headers },
    options.secrets ?? [secret],
    options.at ?? now,
  );
}

describe('verifyHubSpotSignature: the signature matrix', () => {
  const flipped = Buffer.from(body);
  flipped[10] = (flipped[10] ?? 0) ^ 1;
  const reserialised = Buffer.from(JSON.stringify(JSON.parse(body), null, 1));
  const cases: Array<[string, Record<string, string>, Parameters<typeof verify>[1], boolean]> = [
    ['a valid v3 signature', signV3(secret, 'POST', url, body, now), {}, true],
    ['v3 with the wrong secret', signV3('other', 'POST', url, body, now), {}, false],
    ['v3 over a body with one flipped bit', signV3(secret, 'POST', url, body, now), { rawBody: flipped }, false],
    ['v3 over a re-serialised body', signV3(secret, 'POST', url, body, now), { rawBody: reserialised }, false],
    [
      'v3 without the timestamp header',
      { 'x-hubspot-signature-v3': signV3(secret, 'POST', url, body, now)['x-hubspot-signature-v3']! },
      {},
      false,
    ],
    ['no signature header at all', {}, {}, false],
    ['v3 301 s old', signV3(secret, 'POST', url, body, now - 301_000), {}, false],
    ['v3 301 s in the future', signV3(secret, 'POST', url, body, now + 301_000), {}, false],
    ['v3 299 s old', signV3(secret, 'POST', url, body, now - 299_000), {}, true],
    [
      'v3 signed with the previous secret during a rotation',
      signV3('old-secret', 'POST', url, body, now),
      { secrets: [secret, 'old-secret'] },
      true,
    ],
    ['v3 for another URL', signV3(secret, 'POST', `${url}&x=1`, body, now), {}, false],
    [
      'v3 with a malformed timestamp',
      { ...signV3(secret, 'POST', url, body, now), 'x-hubspot-request-timestamp': '1.79e12' },
      {},
      false,
    ],
    ['a valid v1 signature', signV1(secret, body), {}, true],
    ['v1 with the wrong secret', signV1('other', body), {}, false],
    ['a valid v2 signature', signV2(secret, 'POST', url, body), {}, true],
    ['v2 signed for another method', signV2(secret, 'GET', url, body), {}, false],
    ['an unknown signature version', { ...signV1(secret, body), 'x-hubspot-signature-version': 'v9' }, {}, false],
  ];

  it.each(cases)('%s → %s', (_name, headers, options, expected) => {
    expect(verify(headers, options).ok).toBe(expected);
  });

  it('says why it refused', () => {
    expect(verify(signV3(secret, 'POST', url, body, now - 400_000))).toEqual({
      ok: false,
      reason: 'timestamp 400 s away from now',
    });
    expect(verify({}, { secrets: [''] })).toEqual({ ok: false, reason: 'no client secret configured' });
  });

  it('decodes exactly the escapes HubSpot decodes before signing the URI', () => {
    expect(decodeUri('https://x.io/a%3Ab%2Fc%3Fd%40e%21f%24g%27h%28i%29j%2Ak%2Cl%3Bm%20n%2B')).toBe(
      "https://x.io/a:b/c?d@e!f$g'h(i)j*k,l;m%20n%2B",
    );
    const encoded = 'https://crm-agent.example.com/webhooks/hubspot?ref=a%3Ab';
    expect(
      verify(signV3(secret, 'POST', 'https://crm-agent.example.com/webhooks/hubspot?ref=a:b', body, now), {
        url: encoded,
      }).ok,
    ).toBe(true);
  });
});

describe('verifyHubSpotSignature: which versions each endpoint accepts', () => {
  const check = (headers: Record<string, string>, accept: readonly ('v1' | 'v2' | 'v3')[]) =>
    verifyHubSpotSignature({ method: 'POST', url, rawBody: Buffer.from(body), headers }, [secret], now, { accept });

  it('webhooks and cards take v3 only: a valid v1 or v2 signature alone is refused', () => {
    expect(ACCEPTED_VERSIONS.webhooks).toEqual(['v3']);
    expect(ACCEPTED_VERSIONS.card).toEqual(['v3']);
    expect(check(signV1(secret, body), ACCEPTED_VERSIONS.webhooks)).toEqual({
      ok: false,
      reason: 'v1 signatures are not accepted here',
    });
    expect(check(signV2(secret, 'POST', url, body), ACCEPTED_VERSIONS.card)).toMatchObject({ ok: false });
    expect(check(signV3(secret, 'POST', url, body, now), ACCEPTED_VERSIONS.webhooks)).toEqual({
      ok: true,
      version: 'v3',
    });
  });

  it('workflow actions take v2 (all HubSpot documents for them) and v3, never v1', () => {
    expect(check(signV2(secret, 'POST', url, body), ACCEPTED_VERSIONS.workflowAction)).toEqual({
      ok: true,
      version: 'v2',
    });
    expect(check(signV1(secret, body), ACCEPTED_VERSIONS.workflowAction)).toMatchObject({ ok: false });
  });

  it('a stale v3 header is not rescued by a valid legacy signature beside it', () => {
    const headers = { ...signV2(secret, 'POST', url, body), ...signV3(secret, 'POST', url, body, now - 600_000) };
    expect(check(headers, ACCEPTED_VERSIONS.workflowAction)).toMatchObject({ ok: false });
  });
});
