import { loadConfig } from '../config/load-config.js';
import { createRuntime, type Runtime } from '../main.js';
import type { CliIo } from './cli-io.js';

/**
 * Loads the configuration, builds the runtime, brings the schema up to date (unless told not to; the
 * migrator takes a lock, so processes starting together are safe), runs `fn`, and always closes what it opened.
 */
export async function withRuntime<T>(
  io: CliIo,
  fn: (runtime: Runtime) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  const config = loadConfig({ env: io.env, cwd: io.cwd });
  const runtime = await createRuntime(config, { logDestination: io.stderr, ...io.overrides });
  try {
    if (options.migrate ?? true) await runtime.store.migrate();
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}
