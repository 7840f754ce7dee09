import type { Run } from '../../store/repositories/runs.js';
import type { StoreSize } from '../../store/store-size.js';
import { type Html, html } from '../html.js';
import { badge, seconds, when } from './layout.js';

export interface OverviewModel {
  tenantStatus: string;
  reinstallUrl: string;
  token: { kind: string; expiresAt: string | null } | null;
  lastSync: Run | undefined;
  /** The CRM's name, e.g. HubSpot. */
  crmName: string;
  /** Every request to the CRM since midnight UTC: sync reads, recomputes' reads, write-backs. */
  requestsToday: number;
  throttledToday: number;
  /** Salesforce: the share of the org's daily allocation crm-agent used, when the connector reported it. */
  allocationShare: number | null;
  runs: Run[];
  runLink: (run: Run) => string;
  nextSlots: Array<{ kind: string; pattern: string }>;
  /** The tenant's share of the store (rows per table, estimated bytes). */
  storage?: StoreSize;
}

export function overviewPage(m: OverviewModel): Html {
  const health =
    m.tenantStatus === 'active'
      ? html`${badge('connected', 'ok')}`
      : m.tenantStatus === 'needs_reauth'
        ? html`${badge('needs re-authorisation', 'needs_reauth')} <a href="${m.reinstallUrl}">Re-install to reconnect</a>`
        : html`${badge(m.tenantStatus, 'bad')}`;
  const longest = Math.max(
    1,
    ...m.runs.map((r) => (r.finishedAt ? Date.parse(r.finishedAt) - Date.parse(r.startedAt) : 0)),
  );
  return html`
<div class="grid">
  <div class="card" id="connection"><h2>Connection</h2><div>${health}</div>
    <p class="muted">${m.token ? (m.token.kind === 'oauth' ? `OAuth token${m.token.expiresAt ? `, renewed before ${when(m.token.expiresAt)}` : ''}` : 'Static token') : 'No credentials stored'}</p></div>
  <div class="card"><h2>Last sync</h2><div class="metric">${m.lastSync ? when(m.lastSync.finishedAt ?? m.lastSync.startedAt) : 'never'}</div>
    <p class="muted">${m.lastSync ? html`${badge(m.lastSync.status)} ${m.lastSync.kind}` : 'The first sync runs right after install.'}</p></div>
  <div class="card"><h2>API budget today</h2><div class="metric" id="requests-today">${m.requestsToday.toLocaleString('en-US')}</div>
    <p class="muted">requests to ${m.crmName} since 00:00 UTC, reads and writes${m.throttledToday > 0 ? `, ${m.throttledToday} throttled (429) and retried` : ''}${m.allocationShare !== null ? ` · ${(m.allocationShare * 100).toFixed(1)} % of the daily allocation` : ''}</p></div>
  <div class="card"><h2>Schedule</h2>${m.nextSlots.length === 0 ? html`<p class="muted">Not scheduled.</p>` : html`<table>${m.nextSlots.map((s) => html`<tr><td>${s.kind}</td><td><code>${s.pattern}</code></td></tr>`)}</table>`}</div>
</div>
<div class="card"><h2>Runs</h2>
${
  m.runs.length === 0
    ? html`<p class="muted">No runs yet.</p>`
    : html`<table id="runs"><thead><tr><th>Started</th><th>Run</th><th>Trigger</th><th>Status</th><th class="num">Duration</th><th style="width:30%">Time</th></tr></thead><tbody>
${m.runs.map((r) => {
  const ms = r.finishedAt ? Date.parse(r.finishedAt) - Date.parse(r.startedAt) : 0;
  return html`<tr><td>${when(r.startedAt)}</td><td><a href="${m.runLink(r)}">${r.kind}</a></td><td>${r.trigger}</td><td>${badge(r.status)}${r.error ? html` <span class="muted">${r.error}</span>` : ''}</td><td class="num">${seconds(r.startedAt, r.finishedAt)}</td><td><div class="bar" style="width:${((ms / longest) * 100).toFixed(1)}%"></div></td></tr>`;
})}
</tbody></table>`
}
</div>
${m.storage ? storageCard(m.storage) : ''}`;
}

/** The tenant's rows per table and their estimated size: it should follow the CRM's records, not the runs. */
function storageCard(size: StoreSize): Html {
  const mb = (bytes: number) => (bytes / 1_048_576).toFixed(bytes < 10_485_760 ? 2 : 1);
  const tables = [...size.tables].sort((a, b) => b.bytes - a.bytes || b.rows - a.rows);
  return html`<div class="card" id="storage"><h2>Storage</h2>
<div class="metric">${mb(size.totalBytes)} MB</div>
<p class="muted">estimated from ${size.method === 'relation' ? 'PostgreSQL table sizes' : size.method === 'dbstat' ? 'SQLite pages per table' : 'the SQLite file'}, shared by rows; old runs, webhook events and history are pruned hourly (<code>crm-agent gc</code>)</p>
<table><thead><tr><th>Table</th><th class="num">Rows</th><th class="num">MB</th></tr></thead><tbody>
${tables.map((t) => html`<tr><td>${t.table}</td><td class="num">${t.rows.toLocaleString('en-US')}</td><td class="num">${mb(t.bytes)}</td></tr>`)}
</tbody></table></div>`;
}
