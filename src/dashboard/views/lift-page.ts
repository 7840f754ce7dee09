import { NEXT_BEST_ACTIONS } from '../../domain/output-fields.js';
import { NO_HOLDOUT_WARNING } from '../../domain/tenant-settings.js';
import type { LiftCell, LiftResult } from '../../engine/lift/measure-lift.js';
import { type Html, html } from '../html.js';
import { chart, num, PALETTE, pct } from './chart.js';
import { noResults } from './results-pages.js';

/** "Call", "All actions". */
export function actionLabel(action: string): string {
  if (action === 'all') return 'All actions';
  return NEXT_BEST_ACTIONS.find((a) => a.value === action)?.label ?? action;
}

const points = (v: number | null) => (v === null ? '—' : `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(1)} pts`);
const rate = (g: LiftCell['treated']) => `${pct(g.rate, 1)} of ${num(g.records)}`;

/**
 * The lift page: what crm-agent's actions are worth, measured against the control group. The newest run's
 * figures per object, action and segment with their 95 % intervals and counts; the lift over the stored runs
 * (a line per object and action, all segments); the balance of the groups per segment.
 */
export function liftPage(m: {
  history: Array<{ runId: string; lift: LiftResult }>;
  segmentNames: Map<string, string>;
  /** The share in force now (the newest run may have used another). */
  holdoutShare: number;
}): Html {
  const latest = m.history.at(-1)?.lift;
  const warning =
    m.holdoutShare === 0
      ? html`<div class="banner warn" id="holdout-warning"><strong>${NO_HOLDOUT_WARNING}</strong></div>`
      : '';
  if (!latest) return html`${warning}${noResults('lift measurement')}`;
  const segment = (key: string | null) => (key === null ? 'All segments' : (m.segmentNames.get(key) ?? key));
  const overall = latest.cells.filter((c) => c.segmentKey === null);
  const bySegment = latest.cells.filter((c) => c.segmentKey !== null);
  const row = (c: LiftCell) =>
    html`<tr class="${c.status === 'ok' ? 'measured' : 'not-enough'}"><td>${c.objectType === 'deal' ? 'Deals (won)' : 'Contacts (bought)'}</td><td>${actionLabel(c.action)}</td><td>${segment(c.segmentKey)}</td><td class="num">${rate(c.treated)}</td><td class="num">${rate(c.holdout)}</td><td class="num">${points(c.lift)}</td><td>${c.status === 'ok' ? `${points(c.low)} to ${points(c.high)}` : c.message}</td></tr>`;
  const table = (id: string, cells: LiftCell[]) =>
    cells.length === 0
      ? html`<p class="muted" id="${id}">None yet: no action was planned in the window before this run.</p>`
      : html`<table id="${id}"><thead><tr><th>Outcome</th><th>Action</th><th>Segment</th><th class="num">Treated</th><th class="num">Holdout</th><th class="num">Lift</th><th>95 % interval</th></tr></thead><tbody>${cells.map(row)}</tbody></table>`;

  // Lift over time: one line per object and action (all segments), a point per run that measured it.
  const series = new Map<string, string>();
  for (const { lift } of m.history)
    for (const c of lift.cells)
      if (c.segmentKey === null)
        series.set(
          `${c.objectType}\u0000${c.action}`,
          `${c.objectType === 'deal' ? 'Deals' : 'Contacts'}: ${actionLabel(c.action)}`,
        );
  const labels = m.history.map((h) => h.lift.asOf.slice(0, 16).replace('T', ' '));
  const datasets = [...series].map(([key, label], i) => ({
    label,
    data: m.history.map((h) => {
      const c = h.lift.cells.find((x) => x.segmentKey === null && `${x.objectType}\u0000${x.action}` === key);
      return c && c.lift !== null ? Math.round(c.lift * 1000) / 10 : null;
    }),
    borderColor: PALETTE[i % PALETTE.length],
    backgroundColor: PALETTE[i % PALETTE.length],
    spanGaps: true,
  }));
  const config = {
    type: 'line',
    data: { labels, datasets },
    options: {
      maintainAspectRatio: false,
      scales: { y: { title: { display: true, text: 'Lift (points: treated − holdout)' } } },
    },
  };
  // The records behind the figures, per run: how close each group is to the minimum a figure needs.
  const countOf = (h: { lift: LiftResult }, objectType: string, group: 'treated' | 'holdout') =>
    h.lift.cells.find((c) => c.objectType === objectType && c.action === 'all' && c.segmentKey === null)?.[group]
      .records ?? 0;
  const countSets = (['deal', 'contact'] as const).flatMap((objectType, i) =>
    (['treated', 'holdout'] as const).map((group, j) => ({
      label: `${objectType === 'deal' ? 'Deals' : 'Contacts'}: ${group}`,
      data: m.history.map((h) => countOf(h, objectType, group)),
      borderColor: PALETTE[(2 * i + j) % PALETTE.length],
      backgroundColor: PALETTE[(2 * i + j) % PALETTE.length],
    })),
  );
  const counts = {
    type: 'line',
    data: {
      labels,
      datasets: [
        ...countSets,
        {
          label: `Minimum per group (${latest.minGroup})`,
          data: m.history.map(() => latest.minGroup),
          borderColor: '#5b7083',
          borderDash: [6, 4],
          pointRadius: 0,
        },
      ],
    },
    options: {
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, title: { display: true, text: 'Records measured' } } },
    },
  };
  return html`${warning}
<div class="card" id="lift-summary"><h2>Lift of the actions against the control group</h2>
<p>${latest.message} Holdout share ${pct(latest.holdoutShare, 1)} at this run; actions first planned in the last ${latest.windowDays} days; a figure needs at least ${latest.minGroup} records in each group.</p>
<p class="muted">Treated: records an action was planned for (done or not). Holdout: records of the control group for which the same action would have been planned; they get no action and no task. Lift is the difference of the two outcome rates, with Newcombe's 95 % interval.</p>
${table('lift-overall', overall)}</div>
<div class="card"><h2>Lift over time (all segments)</h2>${
    datasets.some((d) => d.data.some((v) => v !== null))
      ? chart(config, { height: 300, label: 'Lift per action over the stored runs' })
      : html`<p class="muted" id="lift-chart-empty">No run has measured a lift yet: the lines appear once both groups have enough records (below: how many each has).</p>`
  }
<h2>Records behind the figures (all actions)</h2>${chart(counts, { height: 240, label: 'Treated and holdout records measured per run, against the minimum' })}</div>
<div class="card"><h2>Per segment</h2>${table('lift-segments', bySegment)}</div>
<div class="card"><h2>Balance of the groups (this run's decisions)</h2>
<table id="lift-balance"><thead><tr><th>Object</th><th>Segment</th><th class="num">Records</th><th class="num">Held out</th><th class="num">Share</th><th>Check</th></tr></thead><tbody>${latest.balance.map(
    (b) =>
      html`<tr><td>${b.objectType}</td><td>${segment(b.segmentKey)}</td><td class="num">${num(b.records)}</td><td class="num">${num(b.heldOut)}</td><td class="num">${pct(b.share, 1)}</td><td>${b.balanced ? 'as expected' : `off by ${num(b.z, 1)} standard errors`}</td></tr>`,
  )}</tbody></table></div>`;
}
