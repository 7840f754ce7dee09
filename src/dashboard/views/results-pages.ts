import type { DataHealth, ModelQuality, SeriesResult } from '../../engine/types.js';
import type { OutboxItem } from '../../store/repositories/outbox.js';
import type { StoredSegment } from '../../store/repositories/results.js';
import type { WritePlan } from '../../writeback/plan-writes.js';
import { type Html, html } from '../html.js';
import { chart, num, PALETTE, pct } from './chart.js';
import { forecastVerdict, seriesTitle } from './forecast-verdict.js';
import { badge, when } from './layout.js';

export const noResults = (what: string) =>
  html`<div class="card"><p class="muted" id="empty">No ${what} yet: the first run after install fills this page (runs go on the schedule shown in the overview).</p></div>`;

export function dataHealthPage(m: {
  counts: Array<{ object: string; live: number; archived: number }>;
  health: DataHealth | undefined;
  rejected: Array<{ stream: string; count: number }>;
}): Html {
  return html`
<div class="card"><h2>Records: the local copy of the CRM</h2>
<table id="record-counts"><thead><tr><th>Object</th><th class="num">In the CRM (synced)</th><th class="num">Deleted or merged in the CRM</th></tr></thead><tbody>
${m.counts.map((c) => html`<tr><td>${c.object}</td><td class="num">${num(c.live)}</td><td class="num">${num(c.archived)}</td></tr>`)}
</tbody></table>
${m.rejected.length > 0 ? html`<p class="note">Skipped during the last sync (could not be read into the model): ${m.rejected.map((r) => `${r.count} from ${r.stream}`).join(', ')}. The run page lists why.</p>` : ''}
</div>
${
  m.health
    ? html`<div class="grid">
<div class="card"><h2>Fixes the last run applied</h2><table id="fixes"><tbody>${Object.entries(m.health.fixes).map(([k, v]) => html`<tr><td>${k.replaceAll('_', ' ')}</td><td class="num">${num(v)}</td></tr>`)}</tbody></table></div>
<div class="card"><h2>Policy</h2><ul>${m.health.policy.map((p) => html`<li>${p}</li>`)}</ul>${m.health.warnings.length > 0 ? html`<h2>Warnings</h2><ul>${m.health.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : ''}</div>
</div>
<div class="card"><h2>Input and kept per table</h2><table><thead><tr><th>Table</th><th class="num">Read</th><th class="num">Kept</th></tr></thead><tbody>${Object.entries(m.health.input).map(([k, v]) => html`<tr><td>${k}</td><td class="num">${num(v)}</td><td class="num">${num(m.health!.kept[k])}</td></tr>`)}</tbody></table></div>`
    : noResults('data-health report')
}`;
}

export function segmentsPage(m: {
  segments: StoredSegment[];
  meta: { k?: number; chosenBy?: string; silhouette?: number; status?: string; message?: string } | undefined;
  projection: Array<{ x: number; y: number; segmentKey: string }>;
}): Html {
  if (m.meta?.status === 'not-enough-data') return html`<div class="card"><p class="note">${m.meta.message}</p></div>`;
  if (m.segments.length === 0) return noResults('segments');
  const colour = new Map(m.segments.map((s, i) => [s.segmentKey, PALETTE[i % PALETTE.length]!]));
  const scatter = {
    type: 'scatter',
    data: {
      datasets: m.segments.map((s) => ({
        label: s.name,
        data: m.projection.filter((p) => p.segmentKey === s.segmentKey).map((p) => ({ x: p.x, y: p.y })),
        backgroundColor: `${colour.get(s.segmentKey)}99`,
        pointRadius: 2,
      })),
    },
    options: {
      plugins: { legend: { position: 'bottom' } },
      scales: { x: { title: { display: true, text: 'PC 1' } }, y: { title: { display: true, text: 'PC 2' } } },
    },
  };
  return html`
<div class="card"><p class="muted">${m.meta?.k ?? m.segments.length} segments, chosen by ${m.meta?.chosenBy ?? '—'}${m.meta?.silhouette !== undefined ? `, silhouette ${m.meta.silhouette.toFixed(2)}` : ''}. Ids stay stable from run to run, so CRM values do not flip.</p>
<table id="segments"><thead><tr><th>Segment</th><th class="num">Contacts</th><th class="num">Value share</th><th>What sets it apart (vs all contacts)</th></tr></thead><tbody>
${m.segments.map(
  (
    s,
  ) => html`<tr><td><span class="badge" style="background:${colour.get(s.segmentKey)}22;color:${colour.get(s.segmentKey)}">${s.name}</span><div class="muted" style="font-size:.8rem">${s.segmentKey}</div></td><td class="num">${num(s.size)}</td><td class="num">${pct(s.valueShare, 1)}</td>
<td>${[...s.profile]
    .sort((a, b) => Math.abs(b.z) - Math.abs(a.z))
    .slice(0, 4)
    .map(
      (p) =>
        html`<div>${p.feature.replaceAll('_', ' ')}: ${num(p.mean, 1)} <span class="muted">(all ${num(p.populationMean, 1)}, ${p.z > 0 ? '+' : ''}${p.z.toFixed(1)} sd)</span></div>`,
    )}</td></tr>`,
)}
</tbody></table></div>
<div class="card"><h2>Customers in two dimensions (principal components of the segment features)</h2>
${m.projection.length > 0 ? chart(scatter, { height: 380, label: 'Scatter of contacts coloured by segment' }) : html`<p class="muted">No projection stored for this run.</p>`}</div>`;
}

export function forecastsPage(m: {
  series: Array<{
    meta: SeriesResult;
    points: Array<{
      period: string;
      kind: string;
      value: number;
      lo80: number | null;
      hi80: number | null;
      lo95: number | null;
      hi95: number | null;
    }>;
  }>;
  /** The CRM's pipeline labels by id, for the titles. */
  pipelines?: Record<string, string>;
  /** The currency amounts are in (the tenant's setting). */
  currency?: string;
}): Html {
  if (m.series.length === 0) return noResults('forecasts');
  return html`${m.series.map(({ meta, points }) => {
    if (meta.status !== 'ok')
      return html`<div class="card"><h2>${seriesTitle(meta.series, m.pipelines)}</h2><p class="note">${meta.message}</p></div>`;
    const labels = points.map((p) => p.period);
    const line = (kind: string, key: 'value' | 'lo80' | 'hi80' | 'lo95' | 'hi95') =>
      points.map((p) =>
        p.kind === kind || (kind === 'forecast' && p === points.filter((q) => q.kind === 'actual').at(-1))
          ? p[key]
          : null,
      );
    const config = {
      type: 'line',
      data: {
        labels,
        datasets: [
          {
            label: '95 % band',
            data: line('forecast', 'hi95'),
            borderWidth: 0,
            backgroundColor: '#2f6fed18',
            fill: '+1',
            pointRadius: 0,
          },
          { label: '95 % low', data: line('forecast', 'lo95'), borderWidth: 0, pointRadius: 0, fill: false },
          {
            label: '80 % band',
            data: line('forecast', 'hi80'),
            borderWidth: 0,
            backgroundColor: '#2f6fed33',
            fill: '+1',
            pointRadius: 0,
          },
          { label: '80 % low', data: line('forecast', 'lo80'), borderWidth: 0, pointRadius: 0, fill: false },
          { label: 'history', data: line('actual', 'value'), borderColor: '#1d2433', pointRadius: 0, borderWidth: 2 },
          {
            label: 'forecast',
            data: line('forecast', 'value'),
            borderColor: '#2f6fed',
            borderDash: [6, 4],
            pointRadius: 2,
            borderWidth: 2,
          },
        ],
      },
      options: {
        plugins: { legend: { labels: { filter: 'hide-low' } } },
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { title: { display: true, text: 'month' } },
          y: { title: { display: true, text: `amount (${m.currency ?? 'the CRM’s currency'})` } },
        },
      },
    };
    const verdict = forecastVerdict(meta);
    return html`<div class="card forecast" data-series="${meta.series}"><h2>${seriesTitle(meta.series, m.pipelines)}</h2>
${chart(config, { height: 300, label: `${seriesTitle(meta.series, m.pipelines)}: history, forecast and 80/95 % bands` })}
<p class="muted">Model: ${meta.model} (${meta.chosenBy ?? ''}). Backtest sMAPE (rolling origin), best first:</p>
<table><tbody>${meta.backtest.map((b) => html`<tr><td>${b.model}${b.model === meta.model ? ' ✓' : ''}</td><td class="num">${num(b.smape, 1)} %</td></tr>`)}</tbody></table>
${verdict.chosen !== null ? html`<p class="muted">The forecast’s model, ${meta.model}, was off by ${num(verdict.chosen, 1)} % on average in the backtest${verdict.naive ? html`; repeating the last ${verdict.naive.model === 'seasonal-naive' ? 'season' : 'value'} (${verdict.naive.model}) was off by ${num(verdict.naive.smape, 1)} %` : ''}.</p>` : ''}
${verdict.worseThanNaive ? html`<p class="note">This forecast did worse than the naive baseline in the backtest: treat it as a rough guide, not a target.</p>` : ''}</div>`;
  })}`;
}

export function modelsPage(models: Array<{ title: string; quality: ModelQuality | undefined }>): Html {
  if (models.every((m) => !m.quality)) return noResults('models');
  return html`${models.map(({ title, quality: q }) => {
    if (!q) return '';
    const calibration = {
      type: 'line',
      data: {
        datasets: [
          {
            label: 'perfect',
            data: [
              { x: 0, y: 0 },
              { x: 1, y: 1 },
            ],
            borderColor: '#a0aec0',
            borderDash: [4, 4],
            pointRadius: 0,
          },
          {
            label: 'observed',
            data: q.calibration.map((b) => ({ x: b.meanPredicted, y: b.observedRate })),
            borderColor: '#2f6fed',
            showLine: true,
          },
        ],
      },
      options: {
        scales: {
          x: { type: 'linear', min: 0, max: 1, title: { display: true, text: 'predicted' } },
          y: { min: 0, max: 1, title: { display: true, text: 'observed' } },
        },
      },
    };
    const importance = {
      type: 'bar',
      data: {
        labels: q.importance.slice(0, 12).map((i) => i.feature.replaceAll('_', ' ')),
        datasets: [
          { label: 'importance', data: q.importance.slice(0, 12).map((i) => i.importance), backgroundColor: '#2f6fed' },
        ],
      },
      options: { indexAxis: 'y', plugins: { legend: { display: false } } },
    };
    return html`<div class="card model"><h2>${title}</h2>
<p>${badge(q.status === 'forest' ? 'random forest' : q.status === 'simpler-model' ? 'simpler model' : 'no model', q.status === 'forest' ? 'ok' : 'warn')} ${q.message}</p>
<div class="grid">
<div><div class="metric">${q.auc === null ? '—' : q.auc.toFixed(3)}</div><div class="muted">held-out AUC (${num(q.testRows)} records)</div></div>
<div><div class="metric">${q.brier === null ? '—' : q.brier.toFixed(3)}</div><div class="muted">Brier score (base rate ${pct(q.baseRate, 1)})</div></div>
<div><div class="metric">${q.ece === undefined || q.ece === null ? '—' : q.ece.toFixed(3)}</div><div class="muted">calibration error (ECE, ten equal-mass bins of held-out records; 0 = predicted rates come true)</div></div>
<div><div class="metric">${num(q.minimumData.positives)} / ${num(q.minimumData.negatives)}</div><div class="muted">positives / negatives; ${q.minimumData.met ? 'meets' : 'below'} the minimum of ${num(q.minimumData.required)} each</div></div>
</div>
<div class="grid"><div><h2>Calibration (${q.calibrationMethod})</h2>${chart(calibration, { height: 260, label: `${title} calibration plot` })}</div>
<div><h2>What drives it (${q.importanceMethod})</h2>${chart(importance, { height: 260, label: `${title} feature importance` })}</div></div></div>`;
  })}`;
}

export function writebackPage(m: {
  counts: Record<string, number>;
  recent: OutboxItem[];
  plan: WritePlan | undefined;
  planNote: string;
  /** The last real run's plan decisions (its summary), when there is one. */
  lastRun?:
    | {
        startedAt: string;
        stats: Partial<WritePlan['stats']>;
        /** crm-agent's fields an admin retyped, left alone by that run: "field — why". */
        fieldsLeftAlone?: string[];
      }
    | undefined;
}): Html {
  const decisions = (st: Partial<WritePlan['stats']>) =>
    html`${num(st.updated ?? 0)} values updated, ${num(st.restored ?? 0)} restored (cleared or changed outside crm-agent), ${num(st.editedInCrm ?? 0)} edited in the CRM and left alone; suppressed: ${num(st.suppressed?.smallProbabilityChange ?? 0)} small probability moves, ${num(st.suppressed?.withinUncertainty ?? 0)} within the model's uncertainty, ${num(st.suppressed?.modelOnly ?? 0)} moved by retraining alone, ${num(st.suppressed?.modelVersionOnly ?? 0)} model version only, ${num(st.suppressed?.smallForecastChange ?? 0)} small forecast moves, ${num(st.suppressed?.reasonsWithoutScoreMove ?? 0)} reasons of a probability not rewritten`;
  return html`
<div class="grid">${['sent', 'pending', 'failed', 'dead', 'superseded'].map((s) => html`<div class="card"><div class="metric">${num(m.counts[s] ?? 0)}</div><div class="muted">${s}</div></div>`)}</div>
${m.lastRun ? html`<div class="card"><h2>Last run</h2><p id="last-run-decisions">${when(m.lastRun.startedAt)}: ${decisions(m.lastRun.stats)}.</p>${m.lastRun.fieldsLeftAlone?.length ? html`<p id="fields-left-alone">Fields left alone (changed in the CRM to a type crm-agent does not write; the rest was written):</p><ul>${m.lastRun.fieldsLeftAlone.map((f) => html`<li>${f}</li>`)}</ul>` : ''}</div>` : ''}
<div class="card"><h2>Next run's plan (dry run against the CRM as last synced)</h2>
${
  m.plan
    ? html`<p id="plan-summary">${m.plan.fields.length} records with field changes, ${m.plan.tasks.length} tasks to create, ${m.plan.closes.length} to end, ${m.plan.triggers.length} triggers: <strong>${m.plan.calls.total} API calls</strong>.</p>
<p id="plan-decisions">${decisions(m.plan.stats)}.</p>
<table><thead><tr><th>Record</th><th>Changes</th></tr></thead><tbody>${m.plan.fields.slice(0, 50).map((f) => html`<tr><td>${f.objectType} ${f.recordId}</td><td>${f.changes.map((c) => html`<div>${c.field.replace('crm_agent_', '')}: <span class="muted">${c.from ?? '∅'}</span> → ${c.to ?? '∅'}${c.restore ? ' (restore)' : ''}</div>`)}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">${m.planNote}</p>`
}</div>
<div class="card"><h2>Write-back log</h2>
<input class="filter" type="search" placeholder="Filter…" data-filter="outbox-table" aria-label="Filter the write-back log">
<table id="outbox-table"><thead><tr><th>When</th><th>Kind</th><th>Record</th><th>Status</th><th>Error</th></tr></thead><tbody>
${m.recent.map((o) => html`<tr><td>${when(o.updatedAt)}</td><td>${o.kind}</td><td>${o.objectType} ${o.recordId}</td><td>${badge(o.status)}</td><td>${o.lastError ?? ''}</td></tr>`)}
</tbody></table></div>`;
}
