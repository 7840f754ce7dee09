// The worker thread's entry: runs the (pure) engine on the input it is posted and posts the result back, so a
// long analysis never holds the main thread's event loop (HTTP, webhooks, schedules keep answering).
import { parentPort } from 'node:worker_threads';
import { runEngine } from '../engine/run-engine.js';
import type { EngineWorkerReply, EngineWorkerRequest } from './run-engine-in-worker.js';

parentPort?.once('message', (request: EngineWorkerRequest) => {
  let reply: EngineWorkerReply;
  try {
    reply = { ok: true, result: runEngine(request.input, request.settings, request.options) };
  } catch (error) {
    const e = error as { name?: string; message?: string; code?: string };
    reply = { ok: false, error: { name: e.name ?? 'Error', message: e.message ?? String(error), code: e.code } };
  }
  parentPort?.postMessage(reply);
});
