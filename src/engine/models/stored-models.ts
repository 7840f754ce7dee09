import type { AmountMedians } from '../clean/clean-records.js';
import { EngineInputError } from '../engine-error.js';
import type { FeatureCap } from '../features/cap-outliers.js';
import type { StoredDealRates } from '../features/deal-features.js';
import { type BinaryClassifier, type ClassifierModel, restoreForest } from '../forest/random-forest.js';
import type { ActionTallies } from '../nba/action-worth.js';
import type { ScoringModel } from '../scores/build-scores.js';
import { type Calibrator, identity, isotonicFromBlocks } from '../scores/isotonic.js';
import { logisticClassifier } from '../scores/logistic.js';
import type { SegmentModel } from '../segments/build-segments.js';

/**
 * Version of the stored models' shape and meaning. Raise it whenever a change to the engine would make a stored
 * model score differently from the full run that would replace it (features, their order or parameters, the
 * forest's encoding, calibration, segment placement): a model of another version is never used.
 */
export const MODELS_SCHEMA_VERSION = 3;

/** A calibration map as plain data. */
export type CalibrationModel = { method: 'none' } | { method: 'isotonic'; x: number[]; y: number[] };

/** A fitted scorer as plain data, with the caps its rows were clamped to. */
export interface StoredScorer {
  model: ClassifierModel;
  calibration: CalibrationModel;
  /** The model version the scores state (e.g. `random-forest@1234`). */
  version: string;
  caps: FeatureCap[];
}

/**
 * What a full run learned about a tenant, as plain JSON-able data: enough to score a few records later exactly as
 * that run scored them (the same features with the same parameters, the same forests and calibration, the same
 * segment centres, the same action worths). Forecasts and cross-sell rules are not in it: the incremental path
 * reuses the last full run's.
 */
export interface StoredModels {
  schemaVersion: number;
  tenantId: string;
  /** The full run's "now" (ISO). */
  asOf: string;
  seed: number;
  /** Open stages in pipeline order, with their index. */
  stageOrder: Array<[string, number]>;
  amountMedians: AmountMedians;
  segments: SegmentModel | null;
  win: (StoredScorer & { rates: StoredDealRates }) | null;
  contacts: StoredScorer | null;
  /** `usualChurnRisk`: customers' mean churn risk per segment key (absent in models stored before it). */
  actions: { tallies: ActionTallies; revenueGap: number | null; usualChurnRisk?: Record<string, number> };
}

export function scorerToData(scorer: ScoringModel & { caps: FeatureCap[] }): StoredScorer {
  const { classifier, calibrator } = scorer;
  if (!classifier.toModel) throw new Error(`model: a ${classifier.kind} cannot be stored`);
  return {
    model: classifier.toModel(),
    calibration: calibrator.blocks
      ? { method: 'isotonic', x: calibrator.blocks.x, y: calibrator.blocks.y }
      : { method: 'none' },
    version: scorer.version,
    caps: scorer.caps,
  };
}

export function restoreScorer(stored: StoredScorer): ScoringModel {
  return {
    classifier: restoreClassifier(stored.model),
    calibrator: restoreCalibrator(stored.calibration),
    version: stored.version,
  };
}

function restoreClassifier(model: ClassifierModel): BinaryClassifier {
  if (model.kind === 'random-forest') return restoreForest(model);
  return logisticClassifier(
    model.featureNames,
    Float64Array.from(model.mean),
    Float64Array.from(model.sd),
    Float64Array.from(model.w),
    model.b,
    Float64Array.from(model.cov),
  );
}

function restoreCalibrator(c: CalibrationModel): Calibrator {
  return c.method === 'isotonic' ? isotonicFromBlocks(c.x, c.y) : identity;
}

/** Refuses stored models of another schema version (or not models at all), with what to do about it. */
export function checkModels(models: unknown): StoredModels {
  const version = (models as Partial<StoredModels> | null)?.schemaVersion;
  if (typeof models !== 'object' || models === null || typeof version !== 'number')
    throw new EngineInputError('stored models: not a models document (no schemaVersion)');
  if (version !== MODELS_SCHEMA_VERSION)
    throw new EngineInputError(
      `stored models have schema version ${version}, this build needs ${MODELS_SCHEMA_VERSION}: a full run stores new ones`,
    );
  return models as StoredModels;
}
