import type { TenantSettings } from '../../domain/tenant-settings.js';
import { type Html, html } from '../html.js';

export function settingsPage(
  s: TenantSettings,
  csrfToken: string,
  action: string,
  message: { ok: boolean; text: string } | null,
): Html {
  const check = (name: string, on: boolean, label: string) =>
    html`<label style="font-weight:400"><input type="checkbox" name="${name}" value="on" ${on ? 'checked' : ''}> ${label}</label>`;
  return html`
${message ? html`<p class="note" id="settings-message" role="status">${message.text}</p>` : ''}
<form method="post" action="${action}" class="card" id="settings-form">
  <input type="hidden" name="_csrf" value="${csrfToken}">
  <h2>Schedule</h2>
  <label for="incremental">Incremental sync and re-score (cron)</label>
  <input type="text" id="incremental" name="incremental" value="${s.schedule.incremental}">
  <label for="full">Full run (cron)</label>
  <input type="text" id="full" name="full" value="${s.schedule.full}">
  <label for="timezone">Time zone</label>
  <input type="text" id="timezone" name="timezone" value="${s.timezone}">
  <h2 style="margin-top:1.2rem">What to write into the CRM</h2>
  ${check('fields', s.outputs.fields, 'Fields: segment, scores with reasons, next best action, recommendations')}
  ${check('tasks', s.outputs.tasks, 'Tasks for the record owner, one per actionable next best action')}
  ${check('triggers', s.outputs.triggers, 'Workflow triggers (HubSpot properties workflows enroll on; Salesforce Platform Events)')}
  ${check('dryRun', s.dryRun, 'Dry run: plan every write, send none')}
  <h2 style="margin-top:1.2rem">Write-back rules</h2>
  <label for="minProbabilityChange">Rewrite a probability when it moves at least (points)</label>
  <input type="number" id="minProbabilityChange" name="minProbabilityChange" min="0" max="100" step="1" value="${s.writeback.minProbabilityChange}">
  <label for="probabilityBands">…or crosses one of these band edges (points, comma-separated)</label>
  <input type="text" id="probabilityBands" name="probabilityBands" value="${s.writeback.probabilityBands.join(', ')}">
  <label for="keepCrmEdits">Fields whose edits in the CRM are kept, not restored (field names, comma-separated)</label>
  <input type="text" id="keepCrmEdits" name="keepCrmEdits" value="${s.writeback.keepCrmEdits.join(', ')}">
  <label for="staleTasks">An untouched task whose action ended</label>
  <select id="staleTasks" name="staleTasks">
    <option value="remove" ${s.writeback.staleTasks === 'remove' ? 'selected' : ''}>is removed (HubSpot: archived; Salesforce: deleted)</option>
    <option value="defer" ${s.writeback.staleTasks === 'defer' ? 'selected' : ''}>is set to Deferred (Salesforce Deferred, HubSpot DEFERRED): not done, kept for the rep</option>
  </select>
  <h2 style="margin-top:1.2rem">API budget</h2>
  <label for="budgetShare">Largest share of the CRM's daily API allocation crm-agent may use (%)</label>
  <input type="number" id="budgetShare" name="budgetShare" min="1" max="50" step="1" value="${Math.round(s.budgetShare * 100)}">
  <p><button type="submit">Save settings</button></p>
</form>`;
}
