import { type Html, html } from '../html.js';
import { num } from './chart.js';

/** Plain labels for the run summary's keys (a path of keys joined by dots); others are spelled out from their key. */
const LABELS: Record<string, string> = {
  mode: 'Sync mode',
  requests: 'API requests during the sync',
  throttled: 'Requests the CRM throttled',
  records: 'Records synced',
  syncSeconds: 'Sync time (seconds)',
  currency: 'Currency (the CRM’s)',
  segments: 'Segments',
  scores: 'Records scored',
  actions: 'Next best actions',
  writeBack: 'Write-back',
  'planned.records': 'Records with field changes',
  'planned.updated': 'Values updated',
  'planned.restored': 'Values restored (cleared or changed outside crm-agent)',
  'planned.editedInCrm': 'Values edited in the CRM, left alone',
  'planned.suppressed': 'Candidate writes not made',
  'planned.suppressed.smallProbabilityChange': 'Not rewritten: small probability moves',
  'planned.suppressed.withinUncertainty': "Not rewritten: probability moves within the model's uncertainty",
  'planned.suppressed.modelOnly': 'Not rewritten: probability moves from retraining alone (features unchanged)',
  'planned.suppressed.modelVersionOnly': 'Not rewritten: model version only',
  'planned.suppressed.smallForecastChange': 'Not rewritten: small pipeline forecast moves',
  'planned.suppressed.reasonsWithoutScoreMove': 'Not rewritten: reasons of a probability not rewritten',
  'planned.tasks': 'Tasks to create',
  'planned.closes': 'Tasks to end',
  'planned.releases': 'Tasks left to their reps',
  'planned.triggers': 'Workflow triggers',
  'planned.calls': 'API calls the plan costs',
  sent: 'Sent',
  'sent.calls': 'API calls made',
  'sent.sent': 'Items sent',
  'sent.failed': 'Items failed',
  'sent.retrying': 'Items to retry',
  writeBackStoppedBy: 'Write-back stopped by',
};

/** `syncSeconds` → `sync seconds`. */
const spelled = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

export interface SummaryRow {
  depth: number;
  label: string;
  value: string | null;
}

/** A run's summary as labelled rows: nested parts indented under their heading; nothing left as JSON. */
export function summaryRows(summary: Record<string, unknown>, path: string[] = []): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const [key, value] of Object.entries(summary)) {
    if (value === undefined || value === null) continue;
    const at = [...path, key];
    const label =
      LABELS[at.join('.')] ?? (path.length === 0 ? spelled(key).replace(/^./, (c) => c.toUpperCase()) : spelled(key));
    if (typeof value === 'object' && !Array.isArray(value)) {
      const inner = summaryRows(value as Record<string, unknown>, at);
      if (inner.length === 0) continue;
      rows.push({ depth: path.length, label, value: null }, ...inner);
    } else {
      const text =
        typeof value === 'number'
          ? num(value, Number.isInteger(value) ? 0 : 1)
          : Array.isArray(value)
            ? value.join(', ')
            : String(value);
      rows.push({ depth: path.length, label, value: text });
    }
  }
  return rows;
}

export function runSummaryTable(summary: Record<string, unknown>): Html {
  const rows = summaryRows(summary);
  if (rows.length === 0) return html`<p class="muted">This run recorded no figures.</p>`;
  return html`<table id="run-summary"><tbody>${rows.map((r) =>
    r.value === null
      ? html`<tr><th colspan="2" style="padding-left:${r.depth * 1.2}rem">${r.label}</th></tr>`
      : html`<tr><td style="padding-left:${r.depth * 1.2}rem">${r.label}</td><td class="num">${r.value}</td></tr>`,
  )}</tbody></table>`;
}
