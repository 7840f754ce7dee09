import { cleanRecords, wonAmountMedians } from './clean/clean-records.js';
import { recommendProducts } from './cross-sell/recommend.js';
import { EngineInputError } from './engine-error.js';
import { contactFeatures } from './features/contact-features.js';
import { dealFeatures } from './features/deal-features.js';
import { featureTime } from './features/feature-time.js';
import { stageOrder } from './features/stage-order.js';
import { bottomUpForecasts } from './forecast/bottom-up-forecasts.js';
import { buildForecasts } from './forecast/build-forecasts.js';
import { isFiniteNumber } from './lib/math.js';
import { measureLift } from './lift/measure-lift.js';
import { MODELS_SCHEMA_VERSION, type StoredModels, scorerToData } from './models/stored-models.js';
import { tallyOutcomes } from './nba/action-worth.js';
import { decideActions, revenueGap } from './nba/decide-actions.js';
import { LearningPolicy } from './nba/learning-policy.js';
import { usualChurnRisk } from './nba/relative-risk.js';
import { buildScores } from './scores/build-scores.js';
import { buildSegments } from './segments/build-segments.js';
import {
  type ActionType,
  DEFAULT_SETTINGS,
  type EngineInput,
  type EngineOptions,
  type EngineResult,
  type EngineSettings,
  type StageTiming,
} from './types.js';

export type EngineSettingsInput = Partial<
  Omit<EngineSettings, 'segments' | 'forecast' | 'scores' | 'crossSell' | 'actions' | 'lift'>
> & {
  lift?: Partial<EngineSettings['lift']>;
  segments?: Partial<EngineSettings['segments']>;
  forecast?: Partial<EngineSettings['forecast']>;
  scores?: Partial<EngineSettings['scores']>;
  crossSell?: Partial<EngineSettings['crossSell']>;
  actions?: Partial<EngineSettings['actions']>;
};

export function resolveSettings(partial: EngineSettingsInput = {}): EngineSettings {
  return {
    ...DEFAULT_SETTINGS,
    ...partial,
    segments: { ...DEFAULT_SETTINGS.segments, ...partial.segments },
    forecast: { ...DEFAULT_SETTINGS.forecast, ...partial.forecast },
    scores: { ...DEFAULT_SETTINGS.scores, ...partial.scores },
    crossSell: { ...DEFAULT_SETTINGS.crossSell, ...partial.crossSell },
    actions: { ...DEFAULT_SETTINGS.actions, ...partial.actions },
    lift: { ...DEFAULT_SETTINGS.lift, ...partial.lift },
  } as EngineSettings;
}

/**
 * The whole engine: clean → features → segments → forecasts → scores → cross-sell → next-best-actions.
 * Pure: records, settings, a seed and `now` in; results out (the same for the same input and seed).
 */
export function runEngine(
  input: EngineInput,
  settingsInput: EngineSettingsInput,
  options: EngineOptions,
): EngineResult {
  const settings = resolveSettings(settingsInput);
  if (!isFiniteNumber(options.now))
    throw new EngineInputError(`now must be a time in milliseconds, got ${options.now}`);
  if (!Number.isInteger(options.seed)) throw new EngineInputError(`seed must be an integer, got ${options.seed}`);
  if (settings.segments.k !== undefined && !(settings.segments.k >= 1 && Number.isInteger(settings.segments.k))) {
    throw new EngineInputError(`segments.k must be a positive integer, got ${settings.segments.k}`);
  }
  const { seed, now } = options;
  const timings: StageTiming[] = [];
  const timed = <T>(stage: StageTiming['stage'], f: () => T): T => {
    const t0 = performance.now();
    const out = f();
    timings.push({ stage, seconds: (performance.now() - t0) / 1000 });
    return out;
  };

  // Day counts as of the end of today: the same for every run of the day (see featureTime).
  const at = featureTime(now);
  const data = timed('clean', () => cleanRecords(input, settings, at));
  const contactsNow = timed('features', () => contactFeatures(data, at));
  const segments = timed('segments', () =>
    buildSegments(data, contactsNow, settings.segments, input.previous?.segments, seed, input.previous?.members),
  );
  const forecasts = timed('forecasts', () => buildForecasts(data, settings.forecast, now));
  const order = stageOrder(data.deals, settings.stageOrder);
  const { deals, scores } = timed('scores', () => {
    const deals = dealFeatures(data, order, segments, at, seed);
    // The contact model's cutoff is floored to a week from the run's own time (constant within its day too).
    return { deals, scores: buildScores(data, deals, contactsNow, settings.scores, input.previous?.scores, seed, now) };
  });
  // Bottom-up: today's open deals × their calibrated win probability × when won deals took to close.
  const bottomUp = bottomUpForecasts(
    data,
    deals.open,
    scores.openDealProbability,
    forecasts,
    settings.forecast.horizon,
    now,
    seed,
  );
  const crossSell = timed('cross-sell', () => recommendProducts(data, settings.crossSell));
  const segmentKeyOfContact = (i: number) => (segments.labels ? (segments.keys[segments.labels[i]!] ?? null) : null);
  const usualRisk = usualChurnRisk(scores.result.contacts.scores, segmentKeyOfContact);
  // What the actions have been worth so far, against the control group: the learning policy's history.
  const history = () => {
    const before = measureLift({
      treated: (input.previous?.actions ?? []).map((a) => ({ ...a, at: a.createdAt })),
      holdout: input.previous?.holdout ?? [],
      deals: input.deals,
      associations: input.associations,
      decided: [],
      holdoutShare: settings.actions.holdoutShare,
      settings: settings.lift,
      now,
    });
    const cells = before.cells;
    return LearningPolicy.fromCounts(
      cells
        .filter((c) => c.action !== 'all')
        .map((c) => ({
          ...c,
          action: c.action as ActionType,
          records: c.treated.records,
          successes: c.treated.successes,
        })),
      cells
        .filter((c) => c.action === 'all')
        .map((c) => ({ ...c, records: c.holdout.records, successes: c.holdout.successes })),
    );
  };
  const policy = settings.actions.policy === 'learned' ? history() : undefined;
  const actions = timed('actions', () =>
    decideActions({
      ...(policy && policy.observations > 0 ? { policy } : {}),
      tenantId: input.tenantId,
      data,
      deals,
      openDealProbability: scores.openDealProbability,
      winScores: scores.result.win.scores,
      contactsNow,
      contactScores: scores.result.contacts.scores,
      segmentKeyOfContact,
      usualChurnRisk: usualRisk,
      segmentNameOfContact: (i) => (segments.labels ? (segments.names[segments.labels[i]!] ?? null) : null),
      crossSell,
      forecasts,
      past: input.previous?.actions ?? [],
      current: input.previous?.current ?? [],
      settings: settings.actions,
      now,
    }),
  );
  const lift = measureLift({
    treated: (input.previous?.actions ?? []).map((a) => ({ ...a, at: a.createdAt })),
    holdout: input.previous?.holdout ?? [],
    deals: input.deals,
    associations: input.associations,
    decided: [
      ...actions.actions.map((a) => ({ objectType: a.objectType, segmentKey: a.segmentKey, heldOut: false })),
      ...(actions.heldOut ?? []).map((a) => ({ objectType: a.objectType, segmentKey: a.segmentKey, heldOut: true })),
    ],
    holdoutShare: settings.actions.holdoutShare,
    settings: settings.lift,
    now,
  });
  const { win, contacts } = scores.fitted;
  const models: StoredModels = {
    schemaVersion: MODELS_SCHEMA_VERSION,
    tenantId: input.tenantId,
    asOf: new Date(now).toISOString(),
    seed,
    stageOrder: [...order.entries()],
    amountMedians: wonAmountMedians(data.deals),
    segments: segments.model ?? null,
    win: win
      ? {
          ...scorerToData(win),
          rates: { base: deals.rates.base, owner: deals.rates.owner },
        }
      : null,
    contacts: contacts ? scorerToData(contacts) : null,
    actions: {
      tallies: tallyOutcomes(input.previous?.actions ?? []),
      revenueGap: revenueGap(forecasts),
      usualChurnRisk: usualRisk,
    },
  };
  return {
    tenantId: input.tenantId,
    asOf: new Date(now).toISOString(),
    seed,
    health: data.health,
    timings,
    segments: segments.result,
    forecasts: [...forecasts, ...bottomUp],
    scores: scores.result,
    crossSell,
    actions,
    lift,
    models,
  };
}
