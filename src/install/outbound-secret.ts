import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Repositories } from '../store/repositories/index.js';

/** The purpose under which a Salesforce tenant's outbound-message URL secret is stored. */
export const OUTBOUND_SECRET = 'salesforce_outbound';

/**
 * Salesforce cannot sign outbound messages; what it can do is send them to a URL the admin configures. crm-agent
 * gives each org an unguessable URL (`<webhookPath>/<secret>`, 256 random bits) and keeps only a SHA-256 of the
 * secret with the tenant, so a copy of the database does not reveal it.
 */
export function newEndpointSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashEndpointSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether `given` is the secret whose hash is `storedHash`; constant time in the secret's content. */
export function endpointSecretMatches(given: string, storedHash: string | undefined): boolean {
  if (storedHash === undefined) return false;
  const a = Buffer.from(hashEndpointSecret(given), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The URL an org's outbound messages must be sent to. */
export function outboundMessageUrl(publicUrl: string, webhookPath: string, secret: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${webhookPath}/${secret}`;
}

/**
 * Gives the tenant an outbound-message secret if it has none (first install; a reinstall keeps the URL the org is
 * already configured with). Returns the new secret, or undefined when one existed.
 */
export async function ensureOutboundSecret(repos: Pick<Repositories, 'endpointSecrets'>, tenantId: string) {
  const secret = newEndpointSecret();
  const added = await repos.endpointSecrets.addIfAbsent(tenantId, OUTBOUND_SECRET, hashEndpointSecret(secret));
  return added ? secret : undefined;
}

/** Issues a new outbound-message secret (the old URL stops working at once) and returns it. */
export async function rotateOutboundSecret(
  repos: Pick<Repositories, 'endpointSecrets'>,
  tenantId: string,
): Promise<string> {
  const secret = newEndpointSecret();
  await repos.endpointSecrets.replace(tenantId, OUTBOUND_SECRET, hashEndpointSecret(secret));
  return secret;
}
