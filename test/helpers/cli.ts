import { runCli } from '../../src/cli/main.js';
import type { RuntimeOverrides } from '../../src/main.js';
import { Capture } from './capture.js';

/** Runs the CLI in-process with the given environment; returns status and what it printed. */
export async function cli(
  argv: string[],
  env: Record<string, string | undefined>,
  /** `tty`: stdout and stderr say they are a terminal (progress bars, readable log lines). */
  options: { cwd?: string; overrides?: RuntimeOverrides; tty?: boolean } = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  stdout.isTTY = options.tty === true;
  stderr.isTTY = options.tty === true;
  const status = await runCli(argv, {
    env,
    cwd: options.cwd ?? process.cwd(),
    stdout,
    stderr,
    signal: new AbortController().signal,
    ...(options.overrides ? { overrides: options.overrides } : {}),
  });
  return { status, stdout: stdout.text, stderr: stderr.text };
}
