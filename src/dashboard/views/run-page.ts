import type { DataHealth } from '../../engine/types.js';
import type { Run, RunStage } from '../../store/repositories/runs.js';
import { type Html, html } from '../html.js';
import { badge, seconds, when } from './layout.js';
import { runHealthCard } from './run-health-card.js';
import { runSummaryTable } from './run-summary.js';
import { workflowFlowchart } from './workflow-flowchart.js';

/** A run: its workflow, outcome, stages, data health (a card of its own) and summary. */
export function runPage(
  run: Run,
  stages: RunStage[],
  health?: { report: DataHealth | undefined; dataLink: string },
): Html {
  const { warnings, ...summary } = run.summary as Record<string, unknown> & { warnings?: unknown };
  const syncWarnings = Array.isArray(warnings) ? warnings.map(String) : [];
  return html`
<div class="card"><h2>The agent workflow in this run</h2>
  <pre class="mermaid" id="workflow">${workflowFlowchart(stages)}</pre>
</div>
<div class="grid">
  <div class="card"><h2>Outcome</h2><div>${badge(run.status)} <span class="muted">${run.trigger}</span></div>${run.error ? html`<p class="note">${run.error}</p>` : ''}</div>
  <div class="card"><h2>Started</h2><div class="metric">${when(run.startedAt)}</div><p class="muted">took ${seconds(run.startedAt, run.finishedAt)}</p></div>
</div>
<div class="card"><h2>Stages</h2>
<table id="stages"><thead><tr><th>Stage</th><th>Status</th><th>Started</th><th class="num">Duration</th><th>Detail</th></tr></thead><tbody>
${stages.map((s) => html`<tr><td>${s.stage}</td><td>${badge(s.status)}</td><td>${when(s.startedAt)}</td><td class="num">${seconds(s.startedAt, s.finishedAt)}</td><td class="muted">${summarise(s.detail)}</td></tr>`)}
</tbody></table></div>
${runHealthCard({ health: health?.report, warnings: syncWarnings, dataLink: health?.dataLink ?? 'data' })}
<div class="card"><h2>Summary</h2>${runSummaryTable(summary)}</div>`;
}

function summarise(detail: Record<string, unknown>): string {
  const counts = detail.counts as Record<string, number> | undefined;
  if (counts)
    return Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ');
  return Object.entries(detail)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(' · ');
}
