import type { Writable } from 'node:stream';
import { SingleBar } from 'cli-progress';

export interface ProgressBar {
  /** `done` of `total` steps, with the bar's other fields (`{detail}` in the format). */
  update(done: number, total: number, detail?: string): void;
  stop(): void;
}

/**
 * A progress bar for long CLI work, only on a terminal: undefined when `stream` is not a TTY (piped output and logs
 * stay clean). The bar starts at its first update and redraws during synchronous work (cli-progress's synchronous
 * update), so CPU-bound loops show it too.
 */
export function terminalProgress(stream: Writable & { isTTY?: boolean }, label: string): ProgressBar | undefined {
  if (stream.isTTY !== true) return undefined;
  const bar = new SingleBar({
    format: `${label} {bar} {value}/{total} {detail}`,
    stream,
    hideCursor: true,
    synchronousUpdate: true,
  });
  let started = false;
  return {
    update(done, total, detail = '') {
      if (!started) {
        bar.start(total, done, { detail });
        started = true;
        return;
      }
      if (bar.getTotal() !== total) bar.setTotal(total);
      bar.update(done, { detail });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
