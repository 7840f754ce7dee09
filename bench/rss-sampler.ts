import { Worker } from 'node:worker_threads';

/**
 * Samples the process's resident set size every `everyMs` from a worker thread, so memory is seen while the
 * main thread is busy in synchronous code (the engine). `peak(from, to)` is the largest sample taken between two
 * `Date.now()` times; `stop()` ends the worker.
 */
export class RssSampler {
  private readonly buffer = new SharedArrayBuffer(8 * 2 * 200_000 + 8);
  private readonly samples = new Float64Array(this.buffer, 8);
  private readonly count = new Int32Array(this.buffer, 0, 1);
  private readonly worker: Worker;

  constructor(everyMs = 25) {
    this.worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const count = new Int32Array(workerData.buffer, 0, 1);
       const samples = new Float64Array(workerData.buffer, 8);
       const max = samples.length / 2;
       setInterval(() => {
         const i = Atomics.load(count, 0);
         if (i >= max) return;
         samples[2 * i] = Date.now();
         samples[2 * i + 1] = process.memoryUsage.rss();
         Atomics.store(count, 0, i + 1);
       }, workerData.everyMs);`,
      { eval: true, workerData: { buffer: this.buffer, everyMs } },
    );
    this.worker.unref();
  }

  peak(from = 0, to = Number.POSITIVE_INFINITY): number {
    const n = Atomics.load(this.count, 0);
    let best = 0;
    for (let i = 0; i < n; i++) {
      const t = this.samples[2 * i]!;
      if (t >= from && t <= to) best = Math.max(best, this.samples[2 * i + 1]!);
    }
    return best;
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
