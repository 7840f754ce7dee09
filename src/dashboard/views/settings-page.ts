import type { CrmName } from '../../domain/records.js';
import { NO_HOLDOUT_WARNING } from '../../domain/tenant-settings.js';
import { type Html, html } from '../html.js';
import type { SettingsFormErrors, SettingsFormField, SettingsFormValues } from '../settings-form.js';

/** A banner above the form: `ok` (saved), `error` (refused, nothing saved) or `warn` (stored values not in force). */
export interface SettingsMessage {
  kind: 'ok' | 'error' | 'warn';
  text: string;
  /** One line each, under the text. */
  lines?: string[];
}

export function settingsPage(options: {
  values: SettingsFormValues;
  crm: CrmName;
  csrfToken: string;
  action: string;
  message: SettingsMessage | null;
  errors?: SettingsFormErrors;
}): Html {
  const { values: v, errors = {}, message } = options;
  const check = (name: SettingsFormField, on: boolean, label: string) =>
    html`<label style="font-weight:400"><input type="checkbox" name="${name}" value="on" ${on ? 'checked' : ''}> ${label}</label>`;
  /** A field's own message, under it; the field marked invalid for assistive technology. */
  const invalid = (name: SettingsFormField) =>
    errors[name] ? html`aria-invalid="true" aria-describedby="${name}-error"` : '';
  const fieldError = (name: SettingsFormField) =>
    errors[name] ? html`<p class="field-error" id="${name}-error">${errors[name]}</p>` : '';
  return html`
${
  message
    ? html`<div class="banner ${message.kind}" id="settings-message" role="${message.kind === 'ok' ? 'status' : 'alert'}">
  <strong>${message.text}</strong>${message.lines?.length ? html`<ul>${message.lines.map((line) => html`<li>${line}</li>`)}</ul>` : ''}
</div>`
    : ''
}
<form method="post" action="${options.action}" class="card" id="settings-form">
  <input type="hidden" name="_csrf" value="${options.csrfToken}">
  <h2>Schedule</h2>
  <label for="incremental">Incremental sync and re-score (cron)</label>
  <input type="text" id="incremental" name="incremental" value="${v.incremental}" ${invalid('incremental')}>
  ${fieldError('incremental')}
  <label for="full">Full run (cron)</label>
  <input type="text" id="full" name="full" value="${v.full}" ${invalid('full')}>
  ${fieldError('full')}
  <label for="timezone">Time zone</label>
  <input type="text" id="timezone" name="timezone" value="${v.timezone}" ${invalid('timezone')}>
  ${fieldError('timezone')}
  <h2 style="margin-top:1.2rem">What to write into the CRM</h2>
  ${check('fields', v.fields, 'Fields: segment, scores with reasons, next best action, recommendations')}
  ${check('tasks', v.tasks, 'Tasks for the record owner, one per actionable next best action')}
  ${check('triggers', v.triggers, 'Workflow triggers (HubSpot properties workflows enroll on; Salesforce Platform Events)')}
  ${check('dryRun', v.dryRun, 'Dry run: plan every write, send none')}
  <h2 style="margin-top:1.2rem">Write-back rules</h2>
  <label for="minProbabilityChange">Rewrite a probability when it moves at least (points)</label>
  <input type="number" id="minProbabilityChange" name="minProbabilityChange" min="0" max="100" step="1" value="${v.minProbabilityChange}" ${invalid('minProbabilityChange')}>
  ${fieldError('minProbabilityChange')}
  <label for="probabilityBands">…or crosses one of these band edges (points, comma-separated)</label>
  <input type="text" id="probabilityBands" name="probabilityBands" value="${v.probabilityBands}" ${invalid('probabilityBands')}>
  ${fieldError('probabilityBands')}
  <label for="scoreHoldWithin">…and moves beyond this many standard errors of the model's own uncertainty about the record (0: off)</label>
  <input type="number" id="scoreHoldWithin" name="scoreHoldWithin" min="0" max="10" step="0.5" value="${v.scoreHoldWithin}" ${invalid('scoreHoldWithin')}>
  ${fieldError('scoreHoldWithin')}
  <label for="retrainHoldPoints">…or, when the record's features are unchanged since it was written (a retrain alone), moves at least (points, band edges included)</label>
  <input type="number" id="retrainHoldPoints" name="retrainHoldPoints" min="0" max="100" step="1" value="${v.retrainHoldPoints}" ${invalid('retrainHoldPoints')}>
  ${fieldError('retrainHoldPoints')}
  <label for="minReasonPoints">Reasons name only factors worth at least (points; the first factor always)</label>
  <input type="number" id="minReasonPoints" name="minReasonPoints" min="0" max="50" step="0.5" value="${v.minReasonPoints}" ${invalid('minReasonPoints')}>
  ${fieldError('minReasonPoints')}
  <label for="keepCrmEdits">Fields whose edits in the CRM are kept, not restored (field names, comma-separated)</label>
  <input type="text" id="keepCrmEdits" name="keepCrmEdits" value="${v.keepCrmEdits}" ${invalid('keepCrmEdits')}>
  ${fieldError('keepCrmEdits')}
  <label for="staleTasks">An untouched task whose action ended</label>
  <select id="staleTasks" name="staleTasks" ${invalid('staleTasks')}>
    <option value="remove" ${v.staleTasks === 'remove' ? 'selected' : ''}>is removed (HubSpot: archived; Salesforce: deleted)</option>
    <option value="defer" ${v.staleTasks === 'defer' ? 'selected' : ''}>is set to Deferred (Salesforce Deferred, HubSpot DEFERRED): not done, kept for the rep</option>
  </select>
  ${fieldError('staleTasks')}
  <h2 style="margin-top:1.2rem">Control group</h2>
  <label for="holdoutShare">Share of records held out of every action and task, to measure the actions' lift (%)</label>
  <input type="number" id="holdoutShare" name="holdoutShare" min="0" max="50" step="1" value="${v.holdoutShare}" ${invalid('holdoutShare')}>
  ${fieldError('holdoutShare')}
  ${
    Number(v.holdoutShare) === 0
      ? html`<p class="banner warn" id="holdout-warning">${NO_HOLDOUT_WARNING}</p>`
      : html`<p class="muted">Chosen by a hash of each record, so a record stays in its group run after run. 0 means no measurement.</p>`
  }
  <h2 style="margin-top:1.2rem">API budget</h2>
  ${
    options.crm === 'salesforce'
      ? html`<label for="apiShare">Largest share of Salesforce's daily API allocation crm-agent may use, over any 24 hours (%)</label>
  <input type="number" id="apiShare" name="apiShare" min="1" max="50" step="1" value="${v.apiShare}" ${invalid('apiShare')}>
  ${fieldError('apiShare')}
  <p class="muted">A sync that reaches it stops and resumes from its last checkpoint when the share frees up.</p>`
      : html`<p class="muted" id="api-budget">HubSpot limits an app's requests per 10 seconds: crm-agent takes at most 108 of the 110 in any 10 seconds and waits for its turn, so there is no daily share to set.</p>`
  }
  <p><button type="submit">Save settings</button></p>
</form>`;
}
