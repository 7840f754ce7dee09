import { loadConfig } from '../config/load-config.js';
import { logStrayRejections } from '../lib/stray-rejections.js';
import { createRuntime } from '../main.js';
import type { Runtime } from '../runtime.js';
import type { CliIo } from './cli-io.js';

/**
 * Loads the configuration, builds the runtime, brings the schema up to date (unless told not to; the
 * migrator takes a lock, so processes starting together are safe), runs `fn`, and always closes what it opened.
 * A long-running command (serve, worker) logs stray promise rejections instead of ending on them.
 */
export async function withRuntime<T>(
  io: CliIo,
  fn: (runtime: Runtime) => Promise<T>,
  options: { migrate?: boolean; longRunning?: boolean } = {},
): Promise<T> {
  const config = loadConfig({ env: io.env, cwd: io.cwd });
  const runtime = await createRuntime(config, { logDestination: io.stderr, ...io.overrides });
  const unhook = options.longRunning ? logStrayRejections(runtime.logger) : undefined;
  try {
    if (options.migrate ?? true) await runtime.store.migrate();
    return await fn(runtime);
  } finally {
    await runtime.close();
    unhook?.();
  }
}
