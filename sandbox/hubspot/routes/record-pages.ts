import { type Request, type Response, Router } from 'express';
import { type Html, html } from '../../../src/dashboard/html.js';
import { OBJECT_TYPE_IDS, type ObjectTypeName, SINGULAR } from '../object-types.js';
import { renderCard } from '../record-card-view.js';
import { signV3 } from '../webhooks.js';
import type { SandboxContext } from './context.js';

/** An app's CRM card, as its project's card component defines it: where its data fetch goes, on which records. */
export interface AppCard {
  title: string;
  /** The URL the card's `hubspot.fetch` calls (the app's backend). */
  fetchUrl: string;
  objectTypes: ReadonlyArray<'contacts' | 'deals' | 'companies'>;
}

const PAGE_TYPES: Partial<Record<string, ObjectTypeName>> = { '0-1': 'contacts', '0-2': 'companies', '0-3': 'deals' };

/** A record page's path, as HubSpot's own app addresses it (`/contacts/{portalId}/record/{objectTypeId}/{id}`). */
export function recordPagePath(portalId: number, type: 'contacts' | 'companies' | 'deals', id: number): string {
  return `/contacts/${portalId}/record/${OBJECT_TYPE_IDS[type]}/${id}`;
}

/**
 * A minimal HubSpot record page: the record's properties (crm-agent's in their own group) and, in the sidebar, each
 * app card for the type. HubSpot runs a card's React component in the browser and proxies its `hubspot.fetch`
 * through its own servers, which append `userId`, `portalId`, `userEmail` and `appId` to the URL and sign the request
 * with the app's client secret (v3: X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp); see
 * https://developers.hubspot.com/docs/apps/developer-platform/add-features/ui-extensions/fetching-data. The sandbox
 * makes that signed call from its server and renders the answer with the components the generated card uses.
 */
export function recordPageRoutes(ctx: SandboxContext, cards: readonly AppCard[]): Router {
  const router = Router();
  router.get('/contacts/:portalId/record/:typeId/:id', async (req: Request, res: Response) => {
    const type = PAGE_TYPES[String(req.params.typeId)];
    const id = Number(req.params.id);
    const record = type && Number(req.params.portalId) === ctx.state.portalId ? ctx.state.get(type, id) : undefined;
    if (!type || !record) {
      res.status(404).type('html').send(page('Not found', html`<p>No such record in this portal.</p>`).value);
      return;
    }
    const definitions = ctx.state.properties.list(type);
    const shown = definitions
      .filter((d) => !d.hidden && (record.properties[d.name] ?? '') !== '')
      .map((d) => ({
        name: d.name,
        label: d.label,
        value: displayValue(ctx, type, d.name, record.properties[d.name]!),
      }));
    const ours = shown.filter((p) => p.name.startsWith('crm_agent_'));
    const theirs = shown.filter((p) => !p.name.startsWith('crm_agent_') && !p.name.startsWith('hs_'));
    const title =
      type === 'contacts'
        ? [record.properties.firstname, record.properties.lastname].filter(Boolean).join(' ') ||
          record.properties.email ||
          `Contact ${id}`
        : (record.properties.dealname ?? record.properties.name ?? `${SINGULAR[type]} ${id}`);
    const sidebar = await Promise.all(
      cards
        .filter((c) => (c.objectTypes as readonly string[]).includes(type))
        .map(
          async (card) =>
            html`<section class="card" data-card="${card.title}"><h2>${card.title}</h2>${await loadCard(ctx, card, type, id)}</section>`,
        ),
    );
    const body = html`<header><span class="type">${SINGULAR[type]}</span><h1 id="record-name">${title}</h1></header>
<main><div class="about">
${ours.length > 0 ? html`<section id="crm-agent-fields"><h2>crm-agent</h2>${table(ours)}</section>` : ''}
<section id="properties"><h2>About this ${SINGULAR[type]}</h2>${table(theirs)}</section></div>
<aside id="sidebar">${sidebar}</aside></main>`;
    res.type('html').send(page(title, body).value);
  });
  return router;
}

async function loadCard(ctx: SandboxContext, card: AppCard, type: ObjectTypeName, id: number): Promise<Html> {
  const owner = ctx.state.owners[0];
  const url = new URL(card.fetchUrl);
  url.searchParams.set('userId', String(owner?.userId ?? 7_000_001));
  url.searchParams.set('portalId', String(ctx.state.portalId));
  url.searchParams.set('userEmail', owner?.email ?? 'rep@sandbox.hubspot.example');
  url.searchParams.set('appId', String(ctx.appId));
  // The body the generated card sends: `{ objectId, objectTypeId }` from the extension's context.
  const body = JSON.stringify({ objectId: String(id), objectTypeId: OBJECT_TYPE_IDS[type] });
  const timestamp = ctx.clock.now();
  try {
    const response = await ctx.fetch(url.toString(), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': signV3(ctx.clientSecret, 'POST', url.toString(), body, timestamp),
        'x-hubspot-request-timestamp': String(timestamp),
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return html`<p class="alert">${card.title} is unavailable: it answered ${response.status}.</p>`;
    }
    return renderCard((await response.json()) as unknown);
  } catch (error) {
    return html`<p class="alert">${card.title} is unavailable: ${(error as Error).message}.</p>`;
  }
}

function displayValue(ctx: SandboxContext, type: ObjectTypeName, name: string, value: string): string {
  if (type === 'deals' && name === 'pipeline') return ctx.state.pipelines.find((p) => p.id === value)?.label ?? value;
  if (type === 'deals' && name === 'dealstage') {
    for (const p of ctx.state.pipelines) {
      const stage = p.stages.find((s) => s.id === value);
      if (stage) return stage.label;
    }
  }
  if (name === 'hubspot_owner_id') {
    const owner = ctx.state.owners.find((o) => o.id === value);
    if (owner) return `${owner.firstName} ${owner.lastName}`;
  }
  const definition = ctx.state.properties.get(type, name);
  if (definition?.type === 'enumeration')
    return value
      .split(';')
      .map((v) => definition.options.find((o) => o.value === v)?.label ?? v)
      .join(', ');
  if ((definition?.type === 'datetime' || definition?.type === 'date') && /^\d{4}-\d\d-\d\dT/.test(value))
    return value.slice(0, 10);
  if ((definition?.type === 'datetime' || definition?.type === 'date') && /^\d{12,}$/.test(value))
    return new Date(Number(value)).toISOString().slice(0, 10);
  return value;
}

function table(rows: Array<{ name: string; label: string; value: string }>): Html {
  return html`<table>${rows.map((r) => html`<tr data-property="${r.name}"><th>${r.label}</th><td>${r.value}</td></tr>`)}</table>`;
}

function page(title: string, body: Html): Html {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title} | HubSpot sandbox</title>
<style>body{margin:0;font:14px/1.45 "Lexend Deca",system-ui,sans-serif;color:#33475b;background:#f5f8fa}header{background:#fff;border-bottom:1px solid #cbd6e2;padding:1rem 1.5rem}header h1{margin:.2rem 0 0;font-size:1.4rem}.type{text-transform:uppercase;font-size:.75rem;color:#516f90;letter-spacing:.05em}main{display:grid;grid-template-columns:minmax(0,1fr) 22rem;gap:1rem;padding:1rem 1.5rem}section{background:#fff;border:1px solid #cbd6e2;border-radius:4px;padding:.75rem 1rem;margin-bottom:1rem}h2{font-size:1rem;margin:0 0 .5rem}table{border-collapse:collapse;width:100%}th{text-align:left;font-weight:500;color:#516f90;width:40%;padding:.25rem .5rem .25rem 0;vertical-align:top}td{padding:.25rem 0;overflow-wrap:anywhere}.alert{background:#fef8f0;border-left:3px solid #f5c26b;padding:.5rem}.tag{display:inline-block;border-radius:3px;padding:0 .4rem;font-size:.75rem;font-weight:600;background:#e5f5f8;color:#00a4bd}.tag.danger{background:#fde8e9;color:#d94c53}.tag.warning{background:#fef8f0;color:#b46e0c}.micro{color:#516f90;font-size:.8rem}ul{margin:.3rem 0;padding-left:1.1rem}hr{border:0;border-top:1px solid #dfe3eb;margin:.6rem 0}</style></head>
<body>${body}</body></html>`;
}
