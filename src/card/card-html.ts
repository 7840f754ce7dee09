import { type Html, html } from '../dashboard/html.js';
import type { RecordCard } from './record-card.js';

/** The card as a page a Salesforce Lightning tab or Visualforce frame embeds (no scripts). */
export function cardHtml(card: RecordCard, title: string): Html {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>
<style>body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2433;margin:.75rem}h2{font-size:1rem;margin:.2rem 0}.muted{color:#5b6478}.tag{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:.8rem;font-weight:600;background:#edf2f7}.high{background:#fdeaea;color:#c53030}.medium{background:#fdf3e1;color:#b7791f}ul{margin:.3rem 0;padding-left:1.1rem}</style></head>
<body>
${
  !card.scored
    ? html`<p class="muted" id="not-scored">Not scored yet: crm-agent scores records after its next run.</p>`
    : html`
${card.segment ? html`<p><strong>Segment</strong> ${card.segment}</p>` : ''}
${card.score ? html`<h2 id="score">${card.score.label}: ${card.score.percent} %${card.score.change ? ` (${card.score.change > 0 ? '+' : ''}${card.score.change})` : ''}</h2><ul id="reasons">${card.score.reasons.map((r) => html`<li>${r}</li>`)}</ul>` : ''}
${card.action ? html`<p id="action"><strong>Next best action</strong> <span class="tag ${card.action.priority}">${card.action.priority}</span> ${card.action.label}${card.action.due ? ` · due ${card.action.due}` : ''}<br><span class="muted">${card.action.reason}</span></p>` : ''}
${card.recommendations.length > 0 ? html`<p><strong>Recommended products</strong></p><ul id="recommendations">${card.recommendations.map((r) => html`<li>${r}</li>`)}</ul>` : ''}`
}
</body></html>`;
}
