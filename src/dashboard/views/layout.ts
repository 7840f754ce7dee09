import type { Tenant } from '../../domain/tenant.js';
import { type Html, html } from '../html.js';

export const NAV = [
  { key: 'overview', label: 'Overview', path: '' },
  { key: 'data', label: 'Data health', path: '/data' },
  { key: 'segments', label: 'Segments', path: '/segments' },
  { key: 'forecasts', label: 'Forecasts', path: '/forecasts' },
  { key: 'models', label: 'Model quality', path: '/models' },
  { key: 'actions', label: 'Next best actions', path: '/actions' },
  { key: 'lift', label: 'Lift', path: '/lift' },
  { key: 'writeback', label: 'Write-back', path: '/writeback' },
  { key: 'settings', label: 'Settings', path: '/settings' },
] as const;

export type NavKey = (typeof NAV)[number]['key'];

export interface LayoutContext {
  base: string;
  tenant: Tenant;
  tenants: Tenant[];
  active: NavKey;
  title: string;
  /** The session's CSRF token, for the sign-out form. */
  csrfToken?: string;
  /**
   * The tenant's `liveVersion` when the page was made: the page polls `…/live` and swaps in fresh content when it
   * moves. Absent on pages with a form being filled in (settings), which must never change under the admin's hands.
   */
  liveVersion?: string;
}

const STYLE = `
:root { --ink:#1d2433; --muted:#5b6478; --line:#e3e7ef; --bg:#f6f8fb; --card:#fff; --accent:#2f6fed; --ok:#1f8a4c; --warn:#b7791f; --bad:#c53030; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); }
header { background:#10182b; color:#fff; padding:.75rem 1.5rem; display:flex; gap:1.5rem; align-items:center; flex-wrap:wrap; }
header .brand { font-weight:700; letter-spacing:.02em; }
header select { font:inherit; padding:.2rem .4rem; border-radius:.3rem; }
header .sign-out { margin-left:auto; }
header .sign-out button { background:transparent; border:1px solid #a9b4c9; color:#fff; padding:.2rem .7rem; }
nav { display:flex; gap:.25rem; flex-wrap:wrap; padding:.5rem 1.5rem; background:#fff; border-bottom:1px solid var(--line); }
nav a { color:var(--muted); text-decoration:none; padding:.35rem .7rem; border-radius:.35rem; }
nav a.active { background:#e9f0ff; color:var(--accent); font-weight:600; }
main { max-width:1200px; margin:1.25rem auto; padding:0 1.5rem; }
h1 { font-size:1.45rem; margin:.25rem 0 1rem; }
h2 { font-size:1.1rem; margin:0 0 .6rem; }
.grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(260px, 1fr)); gap:1rem; margin-bottom:1rem; }
.card { background:var(--card); border:1px solid var(--line); border-radius:.6rem; padding:1rem 1.1rem; margin-bottom:1rem; }
.metric { font-size:1.6rem; font-weight:650; }
.muted { color:var(--muted); }
.badge { display:inline-block; padding:.05rem .5rem; border-radius:1rem; font-size:.8rem; font-weight:600; background:#edf2f7; }
.badge.ok, .badge.succeeded, .badge.active, .badge.sent { background:#e6f6ec; color:var(--ok); }
.badge.warn, .badge.running, .badge.needs_reauth, .badge.pending, .badge.medium { background:#fdf3e1; color:var(--warn); }
.badge.bad, .badge.failed, .badge.disabled, .badge.dead, .badge.high { background:#fdeaea; color:var(--bad); }
table { width:100%; border-collapse:collapse; font-size:.92rem; }
th, td { text-align:left; padding:.45rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:.82rem; text-transform:uppercase; letter-spacing:.03em; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.bar { height:.55rem; background:var(--accent); border-radius:.3rem; min-width:2px; }
.chart { position:relative; height:300px; }
.note { background:#fffbea; border:1px solid #f6e05e; border-radius:.5rem; padding:.6rem .8rem; margin:.5rem 0; }
.banner { border:1px solid; border-left-width:.35rem; border-radius:.5rem; padding:.6rem .8rem; margin:.5rem 0 1rem; }
.banner ul { margin:.3rem 0 0; padding-left:1.2rem; }
.banner.ok { background:#e6f6ec; border-color:var(--ok); color:#14532d; }
.banner.ok strong::before { content:"✓ "; }
.banner.error { background:#fdeaea; border-color:var(--bad); color:#7f1d1d; }
.banner.error strong::before { content:"✕ "; }
.banner.warn { background:#fdf3e1; border-color:var(--warn); color:#6b4510; }
.banner.warn strong::before { content:"! "; }
.field-error { color:var(--bad); margin:.2rem 0 0; font-size:.9rem; }
form [aria-invalid=true] { border-color:var(--bad); background:#fff7f7; }
form label { display:block; margin:.6rem 0 .2rem; font-weight:600; }
form input[type=text], form input[type=number], form select { font:inherit; padding:.35rem .5rem; border:1px solid var(--line); border-radius:.35rem; width:min(28rem, 100%); }
button { font:inherit; background:var(--accent); color:#fff; border:0; padding:.45rem 1rem; border-radius:.4rem; cursor:pointer; }
form.filters { display:flex; flex-wrap:wrap; gap:.5rem 1rem; align-items:flex-end; margin-bottom:.6rem; }
form.filters label { display:flex; flex-direction:column; margin:0; font-weight:600; font-size:.85rem; }
form.filters input[type=search], form.filters select { font:inherit; font-weight:400; padding:.3rem .45rem; border:1px solid var(--line); border-radius:.35rem; }
.pager { display:flex; gap:.9rem; align-items:center; margin-top:.7rem; }
th a { color:inherit; text-decoration:none; }
.filter { font:inherit; padding:.35rem .5rem; border:1px solid var(--line); border-radius:.35rem; width:min(24rem, 100%); margin-bottom:.5rem; }
a { color:var(--accent); }
`;

/** The dashboard's frame: tenant switcher, navigation, the page, and the local scripts that draw charts. */
export function layout(ctx: LayoutContext, body: Html): Html {
  const { tenant } = ctx;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${ctx.title} · ${tenant.name} · crm-agent</title>
<link rel="icon" href="${ctx.base}/static/favicon.svg" type="image/svg+xml">
<style>${STYLE}</style>
</head>
<body>
<header>
  <span class="brand">crm-agent</span>
  <span>${tenant.name} <span class="muted" style="color:#a9b4c9">(${tenant.crm} ${tenant.externalId})</span></span>
  ${
    ctx.tenants.length > 1
      ? html`<form method="get" action="${ctx.base}"><select name="tenant" aria-label="Switch tenant" data-tenant-switch="${ctx.base}/t/">${ctx.tenants.map(
          (t) => html`<option value="${t.id}" ${t.id === tenant.id ? 'selected' : ''}>${t.name} (${t.crm})</option>`,
        )}</select></form>`
      : ''
  }
  ${
    ctx.csrfToken
      ? html`<form method="post" action="${ctx.base}/sign-out" class="sign-out"><input type="hidden" name="_csrf" value="${ctx.csrfToken}"><button type="submit" id="sign-out">Sign out</button></form>`
      : ''
  }
</header>
<nav>${NAV.map((n) => html`<a href="${ctx.base}/t/${tenant.id}${n.path}" class="${n.key === ctx.active ? 'active' : ''}">${n.label}</a>`)}</nav>
<main${ctx.liveVersion ? html` data-live="${ctx.base}/t/${tenant.id}/live" data-version="${ctx.liveVersion}"` : ''}>
<h1>${ctx.title}</h1>
${body}
</main>
<script src="${ctx.base}/static/chart.umd.js"></script>
<script src="${ctx.base}/static/mermaid.min.js"></script>
<script src="${ctx.base}/static/dashboard.js"></script>
</body>
</html>`;
}

export function badge(text: string, kind: string = text): Html {
  return html`<span class="badge ${kind}">${text}</span>`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toISOString().replace('T', ' ').slice(0, 16).concat(' UTC');
}

export function seconds(start: string | null, end: string | null): string {
  if (!start || !end) return '—';
  const s = (Date.parse(end) - Date.parse(start)) / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;
}
