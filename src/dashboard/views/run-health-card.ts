import type { DataHealth } from '../../engine/types.js';
import { type Html, html } from '../html.js';
import { num } from './chart.js';

/** The fixes shown by name on a run's page; the rest are counted and listed on the data-health page. */
const SHOWN_FIXES = 5;

/**
 * A run's data-health report as a readable card: what the sync left out (a field of a type the connector does not
 * read…) and what the clean stage fixed, largest first. `warnings` stand in for a run without an analysis (a sync).
 * Nothing when the run has neither.
 */
export function runHealthCard(m: { health: DataHealth | undefined; warnings: string[]; dataLink: string }): Html | '' {
  const warnings = m.health?.warnings ?? m.warnings;
  if (!m.health && warnings.length === 0) return '';
  const fixes = Object.entries(m.health?.fixes ?? {})
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const total = fixes.reduce((sum, [, n]) => sum + n, 0);
  const plural = (n: number, one: string, many: string) => `${num(n)} ${n === 1 ? one : many}`;
  return html`<div class="card" id="run-health"><h2>Data health</h2>
${
  warnings.length > 0
    ? html`<p class="note">${plural(warnings.length, 'warning', 'warnings')}: left out or skipped, the run went on without ${warnings.length === 1 ? 'it' : 'them'}.</p>
<ul id="health-warnings">${warnings.map((w) => html`<li>${w}</li>`)}</ul>`
    : html`<p class="muted">No warnings: every field and record the sync read was usable.</p>`
}
${
  m.health
    ? fixes.length > 0
      ? html`<p>${plural(total, 'fix', 'fixes')} applied to the input, of ${plural(fixes.length, 'kind', 'kinds')}:</p>
<table id="health-fixes"><tbody>${fixes.slice(0, SHOWN_FIXES).map(([k, v]) => html`<tr><td>${k.replaceAll('_', ' ')}</td><td class="num">${num(v)}</td></tr>`)}</tbody></table>
${fixes.length > SHOWN_FIXES ? html`<p class="muted">and ${plural(fixes.length - SHOWN_FIXES, 'other kind', 'other kinds')}.</p>` : ''}`
      : html`<p class="muted">The input needed no fixes.</p>`
    : ''
}
<p><a href="${m.dataLink}">The data-health page</a> lists every fix of the latest run and the policy behind it.</p></div>`;
}
