import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { CryptoError } from '../lib/errors.js';

/**
 * Envelope encryption of CRM tokens at rest (AES-256-GCM). Each tenant has its own random data key; the data
 * key is stored wrapped by a master key from the environment, and both layers bind the tenant id (and the
 * field name) as associated data, so a ciphertext copied to another tenant's row does not decrypt.
 * Several master keys can be known at once (rotation); new wraps always use the current one.
 */
export class TokenVault {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    for (const key of [current, ...previous]) {
      if (key.length !== 32) throw new CryptoError('master keys must be 32 bytes');
      this.keys.set(keyIdOf(key), key);
    }
    this.currentKeyId = keyIdOf(current);
  }

  /** A fresh data key for a tenant, and its wrapped form to store. */
  newDataKey(tenantId: string): { dataKey: Buffer; wrappedKey: string; keyId: string } {
    const dataKey = randomBytes(32);
    return { dataKey, wrappedKey: this.wrap(tenantId, dataKey), keyId: this.currentKeyId };
  }

  wrap(tenantId: string, dataKey: Buffer): string {
    return seal(this.keys.get(this.currentKeyId)!, `wrap:${tenantId}`, dataKey);
  }

  unwrap(tenantId: string, wrappedKey: string, keyId: string): Buffer {
    const key = this.keys.get(keyId);
    if (!key) throw new CryptoError(`tenant ${tenantId}'s data key is wrapped by unknown master key ${keyId}`);
    return open(key, `wrap:${tenantId}`, wrappedKey);
  }

  encrypt(dataKey: Buffer, tenantId: string, field: string, plaintext: string): string {
    return seal(dataKey, `${field}:${tenantId}`, Buffer.from(plaintext, 'utf8'));
  }

  decrypt(dataKey: Buffer, tenantId: string, field: string, ciphertext: string): string {
    return open(dataKey, `${field}:${tenantId}`, ciphertext).toString('utf8');
  }
}

/** A short public name for a key: which master key wrapped a data key, without revealing it. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('crm-agent key id').update(key).digest('hex').slice(0, 12);
}

const VERSION = 'v1';

function seal(key: Buffer, aad: string, plaintext: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

function open(key: Buffer, aad: string, sealed: string): Buffer {
  const [version, data] = sealed.split(':', 2);
  if (version !== VERSION || !data) throw new CryptoError('unknown ciphertext format');
  const raw = Buffer.from(data, 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  } catch (error) {
    throw new CryptoError('ciphertext does not decrypt: wrong key, tampered, or bound to another tenant', {
      cause: error,
    });
  }
}
