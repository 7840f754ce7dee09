import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/config.js';
import { ConfigError } from '../lib/errors.js';

/** The master keys: `current` wraps new data keys; `previous` still unwrap old ones during a rotation. */
export interface Keyring {
  current: Buffer;
  previous: Buffer[];
  /** Where the keys live: the environment, or the embedded key file. */
  source: 'environment' | 'file';
}

/**
 * The keys that wrap tenants' data keys. From CRM_AGENT_ENCRYPTION_KEY (and CRM_AGENT_PREVIOUS_ENCRYPTION_KEYS)
 * when set. The embedded setup (SQLite, one machine) may instead keep a generated key in `<DATA_DIR>/master.key`
 * (mode 0600), beside the database it protects; with PostgreSQL every process must share the key, so the
 * variable is required.
 */
export function resolveKeyring(config: Config): Keyring {
  if (config.encryptionKey)
    return { current: config.encryptionKey, previous: config.previousEncryptionKeys, source: 'environment' };
  if (config.database.kind === 'postgres' || config.nodeEnv === 'production') {
    throw new ConfigError(
      'Invalid configuration: CRM_AGENT_ENCRYPTION_KEY must be set (32 bytes, base64) with PostgreSQL or NODE_ENV=production, so every process decrypts the same tokens',
    );
  }
  const files = keyFiles(config.dataDir);
  if (!existsSync(files.current)) {
    mkdirSync(dirname(files.current), { recursive: true });
    writeKeyFile(files.current, [randomBytes(32)]);
  }
  // A rotation interrupted before its last rename leaves the new key in `.next`: it must still unwrap.
  const previous = [...readKeyFile(files.previous), ...readKeyFile(files.next)];
  return { current: readKeyFile(files.current)[0]!, previous, source: 'file' };
}

/**
 * Rotates the embedded key file: writes the new key aside, lets `rewrap` move every tenant to it, then makes it
 * current and keeps the old one as previous. Interrupted at any point, every data key still unwraps.
 */
export async function rotateKeyFile(dataDir: string, rewrap: (keyring: Keyring) => Promise<void>): Promise<Keyring> {
  const files = keyFiles(dataDir);
  const old = readKeyFile(files.current)[0];
  if (!old) throw new ConfigError(`no key file at ${files.current} to rotate`);
  const fresh = randomBytes(32);
  writeKeyFile(files.next, [fresh]);
  const keyring: Keyring = { current: fresh, previous: [old, ...readKeyFile(files.previous)], source: 'file' };
  await rewrap(keyring);
  writeKeyFile(files.previous, keyring.previous);
  renameSync(files.next, files.current);
  return keyring;
}

function keyFiles(dataDir: string) {
  const current = join(dataDir, 'master.key');
  return { current, previous: `${current}.previous`, next: `${current}.next` };
}

function readKeyFile(file: string): Buffer[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const key = Buffer.from(line, 'base64');
      if (key.length !== 32)
        throw new ConfigError(`Invalid configuration: ${file} must hold 32-byte keys, base64-encoded, one per line`);
      return key;
    });
}

function writeKeyFile(file: string, keys: Buffer[]): void {
  const temp = `${file}.tmp`;
  writeFileSync(temp, `${keys.map((k) => k.toString('base64')).join('\n')}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}
