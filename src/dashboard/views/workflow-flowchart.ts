import type { RunStage } from '../../store/repositories/runs.js';

/** The agent workflow as the seed paper draws it; a run's stages map onto these phases. */
export const PHASES = [
  { key: 'collect', label: 'Collect' },
  { key: 'clean', label: 'Clean' },
  { key: 'analyse', label: 'Analyse' },
  { key: 'decide', label: 'Decide' },
  { key: 'act', label: 'Act' },
  { key: 'feedback', label: 'Feed back' },
] as const;

type PhaseKey = (typeof PHASES)[number]['key'];

/** Which phase a recorded stage belongs to: `collect:contacts` → collect; a bare sync stream → collect. */
export function phaseOf(stage: string): PhaseKey {
  const prefix = stage.split(':')[0]!;
  if ((PHASES as readonly { key: string }[]).some((p) => p.key === prefix)) return prefix as PhaseKey;
  if (['features', 'segments', 'forecasts', 'scores', 'cross-sell'].includes(prefix)) return 'analyse';
  if (prefix === 'actions') return 'decide';
  if (prefix === 'writeback' || prefix === 'provision') return 'act';
  if (prefix === 'outcomes') return 'feedback';
  return 'collect';
}

/**
 * Mermaid source for one run: each phase a node with its status and time, the loop from feedback to collect.
 * Labels carry only stage names and numbers, stripped of anything Mermaid could read as syntax.
 */
export function workflowFlowchart(stages: RunStage[]): string {
  const lines = ['flowchart LR'];
  for (const phase of PHASES) {
    const mine = stages.filter((s) => phaseOf(s.stage) === phase.key);
    const status =
      mine.length === 0
        ? 'pending'
        : mine.some((s) => s.status === 'failed')
          ? 'failed'
          : mine.some((s) => s.status === 'running')
            ? 'running'
            : 'succeeded';
    const secs = mine.reduce(
      (a, s) => a + (s.finishedAt ? (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000 : 0),
      0,
    );
    const detail =
      mine.length === 0 ? 'not run' : `${mine.length} step${mine.length > 1 ? 's' : ''} · ${secs.toFixed(1)} s`;
    lines.push(`  ${phase.key}["${phase.label}<br/>${clean(detail)}"]:::${status}`);
  }
  lines.push(`  ${PHASES.map((p) => p.key).join(' --> ')}`);
  lines.push('  feedback -.-> collect');
  lines.push('  classDef succeeded fill:#e6f6ec,stroke:#1f8a4c,color:#14532d');
  lines.push('  classDef running fill:#fdf3e1,stroke:#b7791f,color:#744210');
  lines.push('  classDef failed fill:#fdeaea,stroke:#c53030,color:#742a2a');
  lines.push('  classDef pending fill:#f1f3f7,stroke:#a0aec0,color:#4a5568');
  return lines.join('\n');
}

function clean(text: string): string {
  return text.replace(/[^\w .·:/%-]/g, '');
}
