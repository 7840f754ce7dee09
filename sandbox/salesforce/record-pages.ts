import { createHmac, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { type Html, html } from '../../src/dashboard/html.js';
import type { FieldDef, SfRecord, Value } from './schema.js';
import type { OrgState } from './state.js';

/** A Canvas app as its connected app defines it: where Salesforce posts the signed request, and the key it signs with. */
export interface CanvasApp {
  /** The connected app's API name (`developerName`). */
  name: string;
  /** What the page shows above its frame. */
  label: string;
  /** The Canvas App URL. */
  canvasUrl: string;
  /** The connected app's consumer secret: the signed request's HMAC key. */
  consumerSecret: string;
}

export interface RecordPageDeps {
  state: OrgState;
  /** The org's instance URL (the Lightning pages' host in the sandbox). */
  instanceUrl: () => string;
  /** The user who views the pages (the API user in the sandbox). */
  userId: () => string;
  /** A live session of that user, as Salesforce puts it in the signed request's `client.oauthToken`. */
  session: () => string;
  canvasApps: readonly CanvasApp[];
  version: string;
}

/** The page of a record, as Lightning addresses it: `/lightning/r/{SObject}/{Id}/view`. */
export function recordPagePath(object: string, id: string): string {
  return `/lightning/r/${object}/${id}/view`;
}

const SHOWN_OBJECTS = new Set(['Contact', 'Lead', 'Account', 'Opportunity']);

/**
 * A minimal Lightning record page: the record's fields (crm-agent's custom fields in their own section) and each
 * Canvas app in a frame, as a Visualforce page holding `<apex:canvasApp parameters="{recordId:'…'}">` shows it:
 * Salesforce POSTs the form field `signed_request` into the frame, `<base64 HMAC-SHA256 of the encoded envelope,
 * keyed with the consumer secret>.<base64 JSON envelope>` (Canvas Developer Guide, "Signed Request Authentication"
 * and the CanvasRequest/Context objects).
 */
export function recordPageHandler(deps: RecordPageDeps) {
  return (req: Request, res: Response): void => {
    const def = deps.state.object(String(req.params.object));
    const record = def && SHOWN_OBJECTS.has(def.name) ? deps.state.get(def.name, String(req.params.id)) : undefined;
    if (!def || !record) {
      res
        .status(404)
        .type('html')
        .send(page('Not found', html`<p>This record does not exist or was deleted.</p>`).value);
      return;
    }
    const rows = [...def.fields.values()]
      .filter((f) => f.type !== 'address' && f.type !== 'location' && !['Id', 'IsDeleted'].includes(f.name))
      .map((f) => ({ name: f.name, label: f.label, value: display(deps.state, f, record[f.name]) }))
      .filter((r) => r.value !== '');
    const ours = rows.filter((r) => r.name.startsWith('CrmAgent_'));
    const theirs = rows.filter((r) => !r.name.startsWith('CrmAgent_') && !r.name.startsWith('System'));
    const title = String(record.Name ?? ([record.FirstName, record.LastName].filter(Boolean).join(' ') || record.Id));
    const pageUrl = `${deps.instanceUrl()}${recordPagePath(def.name, String(record.Id))}`;
    const frames = deps.canvasApps.map((app, i) => {
      const signed = signedRequest(deps, app, def.name, String(record.Id), pageUrl);
      const target = `canvas-${i}`;
      return html`<section class="canvas" data-canvas="${app.name}"><h2>${app.label}</h2>
<form id="${target}-form" method="post" action="${app.canvasUrl}" target="${target}"><input type="hidden" name="signed_request" value="${signed}"></form>
<iframe name="${target}" id="${target}" title="${app.label}"></iframe></section>`;
    });
    const body = html`<header><span class="type">${def.label}</span><h1 id="record-name">${title}</h1></header>
<main><div>
${ours.length > 0 ? html`<section id="crm-agent-fields"><h2>crm-agent</h2>${table(ours)}</section>` : ''}
<section id="details"><h2>Details</h2>${table(theirs)}</section></div>
<aside>${frames}</aside></main>
<script>for (const form of document.querySelectorAll('section.canvas form')) form.submit();</script>`;
    res.type('html').send(page(title, body).value);
  };
}

function signedRequest(deps: RecordPageDeps, app: CanvasApp, object: string, recordId: string, pageUrl: string) {
  const state = deps.state;
  const userId = deps.userId();
  const user = state.get('User', userId) ?? {};
  const instance = deps.instanceUrl();
  const v = deps.version;
  const envelope = {
    algorithm: 'HMACSHA256',
    issuedAt: Math.floor(state.clock.now() / 1000),
    userId,
    client: {
      instanceId: `_:${app.name}:j_id0:j_id1:canvasapp`,
      targetOrigin: instance,
      instanceUrl: instance,
      oauthToken: deps.session(),
      refreshToken: null,
    },
    context: {
      user: {
        userId,
        userName: user.Username ?? null,
        firstName: user.FirstName ?? null,
        lastName: user.LastName ?? null,
        email: user.Email ?? null,
        fullName: user.Name ?? null,
        locale: 'en_US',
        language: 'en_US',
        timeZone: 'GMT',
        userType: 'STANDARD',
        currencyISOCode: String(state.get('Organization', state.orgId)?.DefaultCurrencyIsoCode ?? 'USD'),
      },
      links: {
        loginUrl: instance,
        enterpriseUrl: `/services/Soap/c/${v}/${state.orgId}`,
        partnerUrl: `/services/Soap/u/${v}/${state.orgId}`,
        restUrl: `/services/data/v${v}/`,
        sobjectUrl: `/services/data/v${v}/sobjects/`,
        queryUrl: `/services/data/v${v}/query/`,
        userUrl: `/${userId}`,
      },
      application: {
        name: app.name,
        developerName: app.name,
        canvasUrl: app.canvasUrl,
        authType: 'SIGNED_REQUEST',
        version: '1.0',
        namespace: '',
        options: [],
      },
      organization: {
        organizationId: state.orgId,
        name: 'Sandbox org',
        multicurrencyEnabled: false,
        currencyIsoCode: 'USD',
        namespacePrefix: null,
      },
      environment: {
        locationUrl: pageUrl,
        displayLocation: 'Visualforce',
        sublocation: null,
        uiTheme: 'Theme4d',
        dimensions: { width: '100%', height: '480px', maxWidth: '1000px', maxHeight: '2000px' },
        parameters: { recordId },
        record: {
          attributes: { type: object, url: `/services/data/v${v}/sobjects/${object}/${recordId}` },
          Id: recordId,
        },
        version: { api: v },
      },
    },
  };
  const encoded = Buffer.from(JSON.stringify(envelope)).toString('base64');
  return `${createHmac('sha256', app.consumerSecret).update(encoded).digest('base64')}.${encoded}`;
}

/** A live session id of the org (`<org id 15>!<secret>`), as Salesforce issues them. */
export function newSessionId(orgId: string): string {
  return `${orgId.slice(0, 15)}!${randomBytes(24).toString('base64url')}`;
}

function display(state: OrgState, field: FieldDef, value: Value | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  if (field.type === 'reference' && typeof value === 'string') {
    const target = state.findById(value)?.record as SfRecord | undefined;
    return String(target?.Name ?? value);
  }
  if (field.picklist?.labels && typeof value === 'string') return field.picklist.labels[value] ?? value;
  if ((field.type === 'datetime' || field.type === 'date') && typeof value === 'number')
    return new Date(value)
      .toISOString()
      .slice(0, field.type === 'date' ? 10 : 16)
      .replace('T', ' ');
  if (field.type === 'percent' && typeof value === 'number') return `${value} %`;
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  return String(value);
}

function table(rows: Array<{ name: string; label: string; value: string }>): Html {
  return html`<table>${rows.map((r) => html`<tr data-field="${r.name}"><th>${r.label}</th><td>${r.value}</td></tr>`)}</table>`;
}

function page(title: string, body: Html): Html {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title} | Salesforce sandbox</title>
<style>body{margin:0;font:13px/1.5 "Salesforce Sans",system-ui,sans-serif;color:#181818;background:#b0c4df}header{background:#fff;padding:1rem 1.5rem;border-bottom:1px solid #c9c9c9}header h1{margin:.1rem 0 0;font-size:1.3rem}.type{font-size:.75rem;color:#444}main{display:grid;grid-template-columns:minmax(0,1fr) 26rem;gap:.75rem;padding:.75rem}section{background:#fff;border-radius:.25rem;padding:.75rem 1rem;margin-bottom:.75rem;box-shadow:0 2px 2px rgba(0,0,0,.1)}h2{font-size:.9rem;margin:0 0 .5rem}table{border-collapse:collapse;width:100%}th{text-align:left;font-weight:400;color:#444;width:40%;padding:.2rem .5rem .2rem 0;vertical-align:top}td{padding:.2rem 0;border-bottom:1px solid #e5e5e5;overflow-wrap:anywhere}iframe{width:100%;height:480px;border:0}</style></head>
<body>${body}</body></html>`;
}
