import { MultiBar, Presets } from 'cli-progress';
import { type CliIo, print } from '../cli/cli-io.js';
import { PHASES, phaseOf } from '../dashboard/views/workflow-flowchart.js';
import type { Runtime } from '../runtime.js';

/** Shows each tenant's first cycle moving through the agent workflow until all have finished. */
export async function watchFirstCycles(
  runtime: Runtime,
  tenants: Array<{ crm: string; tenantId: string }>,
  io: CliIo,
): Promise<void> {
  const bars = io.stdout.isTTY
    ? new MultiBar({ format: '{crm} {bar} {phase}', stream: io.stdout, hideCursor: true }, Presets.shades_grey)
    : undefined;
  const progress = new Map(
    tenants.map((t) => [t.tenantId, bars?.create(PHASES.length, 0, { crm: t.crm.padEnd(10), phase: 'starting' })]),
  );
  const done = new Set<string>();
  const reported = new Map<string, string>();
  while (done.size < tenants.length && !io.signal.aborted) {
    for (const { crm, tenantId } of tenants) {
      if (done.has(tenantId)) continue;
      const run = (await runtime.store.runs.list(tenantId, 5)).find((r) => r.kind === 'cycle');
      if (!run) continue;
      const stages = await runtime.store.runs.stages(run.id);
      const reached = new Set(stages.map((s) => phaseOf(s.stage)));
      const current = PHASES.filter((p) => reached.has(p.key)).at(-1)?.label ?? 'collect';
      progress.get(tenantId)?.update(reached.size, { phase: run.status === 'running' ? current : run.status });
      if (!bars && reported.get(tenantId) !== current) {
        reported.set(tenantId, current);
        print(io.stdout, `${crm}: ${current}…`);
      }
      if (run.status !== 'running') {
        done.add(tenantId);
        const s = run.summary as { records?: Record<string, number>; actions?: number; sent?: { sent: number } };
        const records = Object.entries(s.records ?? {})
          .map(([k, v]) => `${v} ${k}`)
          .join(', ');
        bars?.log(
          `${crm}: first cycle ${run.status}: ${records}; ${s.actions ?? 0} actions; ${s.sent?.sent ?? 0} writes to ${crm}\n`,
        );
        if (!bars)
          print(
            io.stdout,
            `${crm}: first cycle ${run.status}: ${records}; ${s.actions ?? 0} actions; ${s.sent?.sent ?? 0} writes to ${crm}${run.error ? ` (${run.error})` : ''}`,
          );
      }
    }
    await runtime.clock.sleep(500);
  }
  bars?.stop();
}
