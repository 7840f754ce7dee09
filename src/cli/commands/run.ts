import type { Command } from 'commander';
import type { DataHealth } from '../../engine/types.js';
import { fieldsLeftAlone, runCycle } from '../../jobs/run-cycle.js';
import { TenantNotFoundError } from '../../lib/errors.js';
import type { WritePlan } from '../../writeback/plan-writes.js';
import { type CliIo, print } from '../cli-io.js';
import { followCycle } from '../cycle-progress.js';
import { terminalProgress } from '../progress-bar.js';
import { withRuntime } from '../with-runtime.js';

export function registerRun(program: Command, io: CliIo): void {
  program
    .command('run')
    .description(
      'run a whole cycle for a tenant: sync, clean, analyse, decide, and write the results back into the CRM',
    )
    .requiredOption('--tenant <id>', 'the tenant (see `crm-agent tenants`)')
    .option('--full', 'full sync instead of incremental')
    .option(
      '--dry-run',
      'print the write plan (records, fields old → new, tasks, triggers, API calls) and write nothing to the CRM',
    )
    .action(async (options: { tenant: string; full?: boolean; dryRun?: boolean }) => {
      await withRuntime(io, async (runtime) => {
        if (!(await runtime.store.tenants.get(options.tenant))) throw new TenantNotFoundError(options.tenant);
        const bar = terminalProgress(io.stderr, 'run');
        const progress = bar ? followCycle(runtime, options.tenant, bar) : undefined;
        const result = await runCycle(runtime, {
          tenantId: options.tenant,
          mode: options.full ? 'full' : 'incremental',
          trigger: 'cli',
          signal: io.signal,
          ...(options.dryRun ? { dryRun: true } : {}),
        }).then(
          async (r) => {
            await progress?.stop(r.status, r.status === 'succeeded');
            return r;
          },
          async (error: unknown) => {
            await progress?.stop('failed', false);
            throw error;
          },
        );
        if (result.status === 'skipped') {
          print(io.stdout, `skipped: ${result.reason}`);
          return;
        }
        const s = result.sync;
        print(io.stdout, `run ${result.runId} ${result.status}`);
        if (s)
          print(
            io.stdout,
            `collect: ${
              Object.entries(s.counts)
                .map(([k, v]) => `${k}=${v}`)
                .join(' ') || 'no changes'
            } (requests=${s.requests}, 429s=${s.throttled})`,
          );
        const e = result.engine;
        if (e) {
          print(
            io.stdout,
            `analyse: ${e.segments.status === 'ok' ? `${e.segments.segments.length} segments` : e.segments.message}; ${e.scores.win.scores.length} deals and ${e.scores.contacts.scores.length} contacts scored; ${e.forecasts.filter((f) => f.status === 'ok').length} forecasts`,
          );
          print(io.stdout, `decide: ${e.actions.actions.filter((a) => a.action !== 'none').length} next-best-actions`);
        }
        const health = describeHealth(e?.health, s?.warnings ?? []);
        for (const line of health) print(io.stdout, line);
        const w = result.writeBack;
        if (!w) return;
        if (w.status === 'skipped') print(io.stdout, `act: skipped (${w.reason})`);
        if (w.plan && w.status === 'dry-run')
          for (const line of describePlan(w.plan, 25, s?.requests, w.provision?.calls)) print(io.stdout, line);
        if (w.plan && w.status === 'sent') print(io.stdout, `act: ${planCounts(w.plan)}`);
        if (w.provision?.skipped?.length)
          print(io.stdout, `act: fields left alone: ${fieldsLeftAlone(w.provision.skipped).join('; ')}`);
        if (w.send) {
          print(
            io.stdout,
            `act: ${w.send.sent} written in ${w.send.calls} calls, ${w.send.failed + w.send.dead} failed, ${w.send.retrying} to retry${w.send.stoppedBy ? `; stopped: ${w.send.stoppedBy}` : ''}`,
          );
          for (const e of w.send.errors.slice(0, 10)) print(io.stdout, `  ${e.kind} ${e.recordId}: ${e.error}`);
        }
      });
    });
}

/**
 * The run's data-health report as a person reads it: the fixes counted, then each warning (a field the sync left
 * out…) on its own line. `warnings` stand in when the run has no analysis. Nothing when there is neither.
 */
export function describeHealth(health: DataHealth | undefined, warnings: string[]): string[] {
  const all = health?.warnings ?? warnings;
  if (!health && all.length === 0) return [];
  const fixes = Object.values(health?.fixes ?? {}).reduce((sum, n) => sum + n, 0);
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return [
    `data health: ${health ? `${count(fixes, 'fix', 'fixes')} applied, ` : ''}${count(all.length, 'warning', 'warnings')}${health ? ' (the dashboard’s Data health page lists them)' : ''}`,
    ...all.map((w) => `  warning: ${w}`),
  ];
}

/** What a plan does, in one line (the dry run prints it, and the real run after it prints the same). */
export function planCounts(plan: WritePlan): string {
  const st = plan.stats;
  return `${plan.fields.length} records with field changes (${st.updated} values updated, ${st.restored} restored, ${st.editedInCrm} edited in the CRM left alone; suppressed: ${st.suppressed.smallProbabilityChange} small probability moves, ${st.suppressed.withinUncertainty ?? 0} within the model's uncertainty, ${st.suppressed.modelOnly ?? 0} moved by retraining alone, ${st.suppressed.modelVersionOnly} model version only, ${st.suppressed.smallForecastChange ?? 0} small forecast moves, ${st.suppressed.reasonsWithoutScoreMove ?? 0} reasons of an unchanged probability), ${plan.tasks.length} tasks to create, ${plan.closes.length} to end, ${plan.releases.length} left to their reps, ${plan.triggers.length} triggers`;
}

/**
 * The dry-run plan as a person reads it; `syncRequests`: what this run's sync cost; `provisioning`: the field
 * checks and creations the real run makes (absent where the connector cannot tell them ahead).
 */
export function describePlan(
  plan: WritePlan,
  limit = 25,
  syncRequests?: number,
  provisioning?: { checks: number; changes: number },
): string[] {
  const sync = syncRequests ?? 0;
  const fields = provisioning ? provisioning.checks + provisioning.changes : 0;
  const lines = [
    `dry run: ${planCounts(plan)}`,
    `API calls: ${sync + fields + plan.calls.total} (sync ${sync}, ${provisioning ? `field provisioning ${provisioning.checks} checks + ${provisioning.changes} changes` : 'field provisioning not counted'}, task-status reads ${plan.calls.reads}, fields ${plan.calls.fields}, tasks ${plan.calls.tasks}, task ends ${plan.calls.closes}, triggers ${plan.calls.triggers})`,
  ];
  for (const f of plan.fields.slice(0, limit)) {
    lines.push(
      `  ${f.objectType} ${f.recordId}: ${f.changes.map((c) => `${c.field} ${c.from ?? '∅'} → ${c.to ?? '∅'}${c.restore ? ' (restore)' : ''}`).join(', ')}`,
    );
  }
  if (plan.fields.length > limit) lines.push(`  … and ${plan.fields.length - limit} more records`);
  for (const t of plan.tasks.slice(0, limit)) lines.push(`  task [${t.priority}] due ${t.dueDate}: ${t.subject}`);
  if (plan.tasks.length > limit) lines.push(`  … and ${plan.tasks.length - limit} more tasks`);
  for (const t of plan.triggers.slice(0, limit)) lines.push(`  trigger ${t.objectType} ${t.recordId}: ${t.action}`);
  return lines;
}
