import type { Writable } from 'node:stream';
import type { Env } from '../config/load-config.js';
import type { RuntimeOverrides } from '../runtime.js';

/** What a CLI invocation may touch, passed in so tests run commands in-process. */
export interface CliIo {
  env: Env;
  cwd: string;
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  /** Aborted on SIGINT/SIGTERM; long-running commands stop cleanly when it fires. */
  signal: AbortSignal;
  /** Replacements for live dependencies (tests plug in fake CRM modules, a fake fetch, a fixed clock). */
  overrides?: RuntimeOverrides;
}

export function print(stream: Writable, line: string): void {
  stream.write(`${line}\n`);
}
