import { describe, expect, it } from '@jest/globals';
import { generateWorld } from '../../sandbox/world/generate-world.js';
import { runEngineInWorker } from '../../src/analyse/run-engine-in-worker.js';
import { EngineInputError } from '../../src/engine/engine-error.js';
import { runEngine } from '../../src/engine/run-engine.js';
import type { EngineInput } from '../../src/engine/types.js';
import { worldToRecords } from '../helpers/world-to-records.js';

const world = generateWorld({ seed: 3, contacts: 3000, companies: 400, deals: 3000, asOf: '2026-11-01T00:00:00.000Z' });
const input: EngineInput = { tenantId: 'tenant-1', ...worldToRecords(world) };
const now = Date.parse(world.asOf);

describe('the engine in a worker thread', () => {
  it('keeps the event loop turning during a big run, and returns what the engine returns', async () => {
    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
    }, 5);
    try {
      const result = await runEngineInWorker(input, {}, { seed: 1, now });
      // The engine on this input takes seconds of CPU; on the main thread no tick could happen until it ended.
      expect(ticks).toBeGreaterThan(10);
      const inline = runEngine(input, {}, { seed: 1, now });
      expect({ ...result, timings: [] }).toEqual({ ...inline, timings: [] });
    } finally {
      clearInterval(timer);
    }
  }, 240_000);

  it('rethrows an input the engine refuses as EngineInputError', async () => {
    const error = await runEngineInWorker(input, {}, { seed: 1.5, now }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineInputError);
    expect((error as Error).message).toMatch(/seed must be an integer/);
  }, 60_000);
});
