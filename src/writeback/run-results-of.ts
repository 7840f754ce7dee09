import type { EngineResult } from '../engine/types.js';
import type { RunResults } from './desired-values.js';

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A run's results as the store would read them back after saving them (same values, same order), without storing
 * them: what a dry run plans its write-back from, so it plans what the real run will while leaving the stored
 * results, the baseline of the next real run, as they are.
 */
export function runResultsOf(result: EngineResult, runId: string, at: string): RunResults {
  const segments = result.segments.status === 'ok' ? result.segments : undefined;
  return {
    scores: [...result.scores.win.scores, ...result.scores.contacts.scores]
      .map((s) => ({
        objectType: s.objectType,
        recordId: s.recordId,
        kind: s.kind,
        probability: s.probability,
        previousProbability: s.previousProbability ?? null,
        reasons: s.reasons,
        modelVersion: s.modelVersion,
        ...(s.standardError !== undefined ? { standardError: s.standardError } : {}),
        ...(s.featureHash !== undefined ? { featureHash: s.featureHash } : {}),
      }))
      .sort((a, b) => byText(a.objectType, b.objectType) || byText(a.recordId, b.recordId) || byText(a.kind, b.kind)),
    actions: result.actions.actions
      .map((a) => ({ ...a, runId, status: 'proposed', outcome: null, createdAt: at }))
      .sort((a, b) => b.value - a.value || byText(a.actionKey, b.actionKey)),
    segments: (segments?.segments ?? [])
      .map((s) => ({
        segmentKey: s.segmentKey,
        name: s.name,
        size: s.size,
        valueShare: s.valueShare,
        profile: s.profile,
        centre: s.centre,
        previousKey: s.previousKey,
      }))
      .sort((a, b) => b.size - a.size || byText(a.segmentKey, b.segmentKey)),
    members: (segments?.members ?? [])
      .map((m) => ({ objectType: m.objectType, recordId: m.recordId, segmentKey: m.segmentKey }))
      .sort((a, b) => byText(a.objectType, b.objectType) || byText(a.recordId, b.recordId)),
    recommendations: result.crossSell.recommendations
      .map((r) => ({ objectType: r.objectType, recordId: r.recordId, items: r.items }))
      .sort((a, b) => byText(a.objectType, b.objectType) || byText(a.recordId, b.recordId)),
    forecasts: result.forecasts
      .flatMap((series) =>
        series.points.map((p) => ({
          series: series.series,
          period: p.period,
          kind: p.kind,
          value: p.value,
          lo80: p.lo80,
          hi80: p.hi80,
          lo95: p.lo95,
          hi95: p.hi95,
          model: series.model ?? 'none',
        })),
      )
      .sort((a, b) => byText(a.series, b.series) || byText(a.period, b.period)),
  };
}
