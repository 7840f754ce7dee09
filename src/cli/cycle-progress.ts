import { PHASES, phaseOf } from '../dashboard/views/workflow-flowchart.js';
import type { Runtime } from '../runtime.js';
import type { ProgressBar } from './progress-bar.js';

/**
 * Follows a tenant's running cycle through the agent workflow's phases on `bar` (its stages as the store records
 * them), until `stop` is called.
 */
export function followCycle(
  runtime: Pick<Runtime, 'store' | 'clock'>,
  tenantId: string,
  bar: ProgressBar,
): { stop(outcome: string, completed: boolean): Promise<void> } {
  let stopped = false;
  let reachedCount = 0;
  const loop = (async () => {
    while (!stopped) {
      const run = (await runtime.store.runs.list(tenantId, 5)).find(
        (r) => r.kind === 'cycle' && r.status === 'running',
      );
      if (run) {
        const reached = new Set((await runtime.store.runs.stages(run.id)).map((s) => phaseOf(s.stage)));
        const current = PHASES.filter((p) => reached.has(p.key)).at(-1)?.label ?? PHASES[0]!.label;
        reachedCount = reached.size;
        bar.update(reached.size, PHASES.length, current);
      }
      if (!stopped) await runtime.clock.sleep(300);
    }
  })();
  return {
    /** Ends the bar with the cycle's outcome (full when it went through, where it stopped otherwise). */
    async stop(outcome, completed) {
      stopped = true;
      await loop.catch(() => undefined);
      bar.update(completed ? PHASES.length : reachedCount, PHASES.length, outcome);
      bar.stop();
    },
  };
}
