import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EngineInputError } from '../engine/engine-error.js';
import type { EngineSettingsInput } from '../engine/run-engine.js';
import type { EngineInput, EngineOptions, EngineResult } from '../engine/types.js';
import { ErrorCode } from '../lib/errors.js';

export interface EngineWorkerRequest {
  input: EngineInput;
  settings: EngineSettingsInput;
  options: EngineOptions;
}

export type EngineWorkerReply =
  | { ok: true; result: EngineResult }
  | { ok: false; error: { name: string; message: string; code: string | undefined } };

/** Runs the engine: the same signature as `runEngine`, but asynchronous. */
export type EngineRunner = (
  input: EngineInput,
  settings: EngineSettingsInput,
  options: EngineOptions,
) => Promise<EngineResult>;

/**
 * The worker's entry beside this module: `engine-worker.js` in the compiled build (dist/); when the sources run
 * through a TypeScript loader (jest, tsx), `engine-worker.ts` loaded through tsx's API (a worker inherits no loader
 * hooks, and Node 20 ignores `--import` in a worker's execArgv).
 */
export function engineWorkerEntry(): { source: URL | string; eval: boolean } {
  const compiled = new URL('./engine-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return { source: compiled, eval: false };
  const entry = new URL('./engine-worker.ts', import.meta.url).href;
  return {
    source: `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`,
    eval: true,
  };
}

/**
 * Runs the engine in a `worker_threads` worker of its own (one per run: the engine is pure, so its input goes in by
 * structured clone and its result comes back the same way), keeping the event loop free meanwhile. An engine
 * input error is rethrown as `EngineInputError`; a worker that dies is an ordinary error.
 */
export const runEngineInWorker: EngineRunner = (input, settings, options) => {
  const entry = engineWorkerEntry();
  const worker = new Worker(entry.source, { eval: entry.eval });
  return new Promise<EngineResult>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.once('message', (reply: EngineWorkerReply) =>
      settle(() => {
        if (reply.ok) resolve(reply.result);
        else if (reply.error.code === ErrorCode.EngineInput) reject(new EngineInputError(reply.error.message));
        else reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }));
      }),
    );
    worker.once('error', (error) => settle(() => reject(error)));
    worker.once('exit', (code) =>
      settle(() => reject(new Error(`the engine worker stopped (exit code ${code}) before it answered`))),
    );
    worker.postMessage({ input, settings, options } satisfies EngineWorkerRequest);
  });
};
