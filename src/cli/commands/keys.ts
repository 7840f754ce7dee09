import type { Command } from 'commander';
import { CredentialStore } from '../../auth/credential-store.js';
import { type Keyring, resolveKeyring, rotateKeyFile } from '../../auth/master-key.js';
import { keyIdOf, TokenVault } from '../../auth/token-vault.js';
import type { Runtime } from '../../runtime.js';
import { type CliIo, print } from '../cli-io.js';
import { withRuntime } from '../with-runtime.js';

export function registerKeys(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('manage the master key that protects stored CRM tokens');
  keys
    .command('rotate')
    .description(
      "re-wrap every tenant's data key under the current master key. With CRM_AGENT_ENCRYPTION_KEY: set it to the new key and CRM_AGENT_PREVIOUS_ENCRYPTION_KEYS to the old one(s) first. With the embedded key file: a new key is generated.",
    )
    .action(async () => {
      await withRuntime(io, async (runtime) => {
        const keyring = resolveKeyring(runtime.config);
        const rewrap = (ring: Keyring) => rewrapAll(runtime, ring);
        const { count, ring } =
          keyring.source === 'file'
            ? await (async () => {
                let n = 0;
                const ring = await rotateKeyFile(runtime.config.dataDir, async (r) => {
                  n = await rewrap(r);
                });
                return { count: n, ring };
              })()
            : { count: await rewrap(keyring), ring: keyring };
        await runtime.store.audit.append({
          tenantId: null,
          actor: 'cli',
          action: 'key.rotated',
          detail: { keyId: keyIdOf(ring.current), tenants: count, source: ring.source },
        });
        print(io.stdout, `re-wrapped ${count} tenant key(s) under master key ${keyIdOf(ring.current)}`);
      });
    });
  for (const command of keys.commands) command.exitOverride();
  keys.exitOverride();
}

async function rewrapAll(runtime: Runtime, keyring: Keyring): Promise<number> {
  const credentials = new CredentialStore(runtime.store.credentials, new TokenVault(keyring.current, keyring.previous));
  return credentials.rewrapAll();
}
