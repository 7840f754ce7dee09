import { type Html, html } from '../../src/dashboard/html.js';

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const texts = (v: unknown): string[] => (Array.isArray(v) ? v.map(text).filter((s): s is string => !!s) : []);
const object = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/**
 * The card's data as the generated UI-extension component lays it out (Heading, List, StatusTag, Text microcopy,
 * Divider), in HTML: segment, score with its change and reasons, next best action with priority, due date and
 * reason, recommended products. Anything missing or malformed is left out, never printed raw.
 */
export function renderCard(data: unknown): Html {
  const card = object(data);
  if (!card) return html`<p class="alert">The card's data could not be read.</p>`;
  if (card.scored !== true)
    return html`<p id="card-not-scored">Not scored yet: crm-agent scores records after its next run.</p>`;
  const score = object(card.score);
  const percent = num(score?.percent);
  const change = num(score?.change);
  const action = object(card.action);
  const actionLabel = text(action?.label);
  const priority = text(action?.priority);
  const recommendations = texts(card.recommendations);
  const segment = text(card.segment);
  return html`<div class="card-body">
${segment ? html`<p id="card-segment"><strong>Segment</strong> ${segment}</p>` : ''}
${
  score && percent !== undefined
    ? html`<h3 id="card-score">${text(score.label) ?? 'Score'}: ${percent}%${change ? ` (${change > 0 ? '+' : ''}${change})` : ''}</h3>
<ul id="card-reasons">${texts(score.reasons).map((r) => html`<li>${r}</li>`)}</ul>`
    : ''
}
<hr>
${
  actionLabel
    ? html`<p id="card-action"><strong>Next best action</strong> ${priority ? html`<span class="tag ${priority === 'high' ? 'danger' : priority === 'medium' ? 'warning' : ''}">${priority}</span>` : ''} ${actionLabel}${text(action?.due) ? ` · due ${text(action?.due)}` : ''}</p>
${text(action?.reason) ? html`<p class="micro" id="card-action-reason">${text(action?.reason)}</p>` : ''}`
    : html`<p id="card-action">No action needed now.</p>`
}
${
  recommendations.length > 0
    ? html`<hr><p><strong>Recommended products</strong></p><ul id="card-recommendations">${recommendations.map((r) => html`<li>${r}</li>`)}</ul>`
    : ''
}
</div>`;
}
