import { type CleanData, dealsOf } from '../clean/clean-records.js';
import { applyCaps, countCaps, type FeatureCap, fitCaps } from '../features/cap-outliers.js';
import {
  CONTACT_FEATURES,
  CURRENT_ONLY_FEATURES,
  contactFeatureRow,
  DAY,
  HISTORY_FEATURES,
} from '../features/contact-features.js';
import { dayBucket } from '../features/day-bucket.js';
import { CAPPED_DEAL_FEATURES, type DealFeatureSet } from '../features/deal-features.js';
import type { BinaryClassifier } from '../forest/random-forest.js';
import { max, min } from '../lib/math.js';
import { type Matrix, matrix, takeColumns, takeRows } from '../lib/matrix.js';
import type { EngineSettings, PreviousRun, Reason, RecordScore, ScoresResult } from '../types.js';
import { calibratedError } from './calibrated-error.js';
import { featureHash } from './feature-hash.js';
import { type FittedScorer, fitScorer, type ScorerOptions } from './fit-scorer.js';
import type { Calibrator } from './isotonic.js';
import { stableReasons } from './stable-reasons.js';
import { topReasons } from './top-reasons.js';

/** Rows scored per batch (bounds the memory of per-feature contributions on large tenants). */
const BATCH = 50_000;

export interface ScoresOutput {
  result: ScoresResult;
  /** Win probability per open deal (aligned with `deals.open`). */
  openDealProbability: Float64Array;
  /** P(buys within the window) per contact (NaN without a model). */
  contactBuyProbability: Float64Array;
}

/**
 * The win model's features for every deal row (extreme magnitudes capped at the closed deals' 0.5th / 99.5th
 * percentiles, counted into `fixes`) and the closed rows it learns from.
 */
export function winModelRows(
  deals: DealFeatureSet,
  fixes: Record<string, number>,
): { x: Matrix; closedX: Matrix; caps: FeatureCap[] } {
  const closedRows = Int32Array.from({ length: deals.closed.length }, (_, i) => i);
  const caps = fitCaps(deals.x, CAPPED_DEAL_FEATURES, closedRows);
  const capped = applyCaps(deals.x, caps);
  countCaps(fixes, 'win_model', capped.capped);
  return { x: capped.matrix, closedX: takeRows(capped.matrix, closedRows), caps };
}

export function winModelOptions(settings: EngineSettings['scores'], seed: number): ScorerOptions {
  return {
    seed,
    trees: settings.trees,
    minPerClass: settings.minPerClass,
    maxTrainRows: settings.maxTrainRows,
    minSamplesLeaf: settings.minSamplesLeaf,
    maxDepth: settings.maxDepth,
    classWords: ['won', 'lost'],
  };
}

const WEEK = 7 * DAY;

/** The contact model's day counts: seen in stable buckets (dayBucket), so a day's passing moves few contacts. */
const DAY_COUNTS = ['days_since_purchase', 'tenure_days'] as const;

/** The contact model's input from rows of HISTORY_FEATURES: day counts bucketed, in place. */
export function bucketContactDays(x: Matrix): Matrix {
  for (const name of DAY_COUNTS) {
    const j = x.names.indexOf(name);
    if (j < 0) continue;
    for (let i = 0; i < x.rows; i++) x.data[i * x.cols + j] = dayBucket(x.data[i * x.cols + j]!);
  }
  return x;
}

/**
 * The contact model's training cutoff: a conversion window before `now`, floored to a week boundary (UTC, from
 * the epoch), so the model is trained on the same rows all week instead of slightly different ones every day
 * (which would move every contact's probability and reasons daily with nothing changed in the CRM).
 */
export function contactModelCutoff(now: number, windowDays: number): number {
  return Math.floor((now - windowDays * DAY) / WEEK) * WEEK;
}

/**
 * The contact model's training rows: contacts that existed a conversion window ago, described strictly as of
 * then by the features with a history (capped at their 0.5th / 99.5th percentiles), labelled 1 when they won a
 * deal within the window after it. Today's engagement counts are left out: they would carry what happened after the cutoff.
 */
export function contactModelRows(
  data: CleanData,
  settings: EngineSettings['scores'],
  now: number,
  fixes: Record<string, number>,
): { x: Matrix; y: Uint8Array; keys: string[] } {
  const cutoff = contactModelCutoff(now, settings.conversionWindowDays);
  const until = cutoff + settings.conversionWindowDays * DAY;
  const eligible: number[] = [];
  data.contacts.forEach((c, i) => {
    if (c.createdAt <= cutoff) eligible.push(i);
  });
  // Each eligible contact's features as of the cutoff, the history columns only (no table of every contact).
  const atCutoff = matrix(eligible.length, [...HISTORY_FEATURES]);
  const row = new Float64Array(CONTACT_FEATURES.length);
  const columns = HISTORY_FEATURES.map((f) => CONTACT_FEATURES.indexOf(f));
  eligible.forEach((i, r) => {
    contactFeatureRow(data, i, cutoff, row, 0);
    for (let q = 0; q < columns.length; q++) atCutoff.data[r * columns.length + q] = row[columns[q]!]!;
  });
  bucketContactDays(atCutoff);
  const capped = applyCaps(atCutoff, fitCaps(atCutoff, HISTORY_FEATURES), { inPlace: true });
  countCaps(fixes, 'contact_model_training', capped.capped);
  const y = Uint8Array.from(eligible, (i) => {
    for (const k of dealsOf(data, i)) {
      const d = data.deals[k]!;
      if (d.record.isWon && d.closeAt !== null && d.closeAt > cutoff && d.closeAt <= until) return 1;
    }
    return 0;
  });
  return { x: capped.matrix, y, keys: eligible.map((i) => data.contacts[i]!.record.id) };
}

export function contactModelOptions(settings: EngineSettings['scores'], seed: number): ScorerOptions {
  return {
    seed: seed + 1,
    trees: min(settings.trees, 50),
    minPerClass: settings.minPerClass,
    maxTrainRows: settings.maxTrainRows,
    minSamplesLeaf: max(settings.minSamplesLeaf, 10),
    maxDepth: min(settings.maxDepth, 20),
    classWords: ['bought', 'did not buy'],
  };
}

/** A fitted scorer as the scoring code needs it: the classifier, its calibration and the version it states. */
export interface ScoringModel {
  classifier: BinaryClassifier;
  calibrator: Calibrator;
  version: string;
}

/** The last run's probabilities and reasons' words per `objectType:recordId:kind`. */
export interface PreviousScores {
  probability: Map<string, number>;
  reasons: Map<string, ReadonlyArray<Pick<Reason, 'feature' | 'text'>>>;
}

export function previousScores(previous: PreviousRun['scores']): PreviousScores {
  return {
    probability: new Map((previous ?? []).map((s) => [`${s.objectType}:${s.recordId}:${s.kind}`, s.probability])),
    reasons: new Map(
      (previous ?? []).flatMap((s) => (s.reasons ? [[`${s.objectType}:${s.recordId}:${s.kind}`, s.reasons]] : [])),
    ),
  };
}

/** What the fitted models were, for a stored model (src/engine/models/). */
export interface FittedScores {
  win: (ScoringModel & { caps: FeatureCap[] }) | null;
  contacts: (ScoringModel & { caps: FeatureCap[] }) | null;
}

export function buildScores(
  data: CleanData,
  deals: DealFeatureSet,
  contactsNow: Matrix,
  settings: EngineSettings['scores'],
  previous: PreviousRun['scores'],
  seed: number,
  now: number,
): ScoresOutput & { fitted: FittedScores } {
  const prev = previousScores(previous);
  const version = (fit: FittedScorer) => `${fit.quality.model}@${seed}`;
  const fixes = data.health.fixes;
  const texts = new Map<string, string>();

  // Win probability of open deals, learned from closed ones.
  const { x: dealX, closedX, caps: winCaps } = winModelRows(deals, fixes);
  const win = fitScorer(closedX, deals.won, {
    ...winModelOptions(settings, seed),
    keys: Array.from(deals.closed, (k) => data.deals[k]!.record.id),
  });
  const winModel = win.model ? { ...win.model, version: version(win) } : null;
  const wins = winModel
    ? scoreOpenDeals(data, deals, dealX, winModel, prev, texts)
    : { scores: [], probability: new Float64Array(deals.open.length).fill(Number.NaN) };

  // Contacts: will they buy within the window? Learned at a cutoff one window ago, applied now. Training rows
  // are described strictly as of the cutoff, so only features with a history (from deals and the creation date)
  // are used; today's engagement counts would carry what happened after the cutoff. Scoring uses current values.
  const { x: trainX, y: trainY, keys } = contactModelRows(data, settings, now, fixes);
  const buy = fitScorer(trainX, trainY, { ...contactModelOptions(settings, seed), keys });
  buy.quality.excludedFeatures = CURRENT_ONLY_FEATURES.map((feature) => ({
    feature,
    reason: 'the CRM gives only its current value, which would tell the model what happened after the cutoff',
  }));
  // Current values are capped at today's percentiles (training rows were capped at theirs): tenure and
  // recency have all grown by the window since the cutoff, which is not an outlier.
  const buyModel = buy.model ? { ...buy.model, version: version(buy) } : null;
  const scoreCaps = buyModel
    ? fitCaps(bucketContactDays(takeColumns(contactsNow, HISTORY_FEATURES)), HISTORY_FEATURES)
    : [];
  const buys = buyModel
    ? scoreContacts(data, contactsNow, buyModel, scoreCaps, prev, texts, fixes)
    : { scores: [], probability: new Float64Array(data.contacts.length).fill(Number.NaN) };
  return {
    result: {
      win: { quality: win.quality, scores: wins.scores },
      contacts: { quality: buy.quality, scores: buys.scores },
    },
    openDealProbability: wins.probability,
    contactBuyProbability: buys.probability,
    fitted: {
      win: winModel ? { ...winModel, caps: winCaps } : null,
      contacts: buyModel ? { ...buyModel, caps: scoreCaps } : null,
    },
  };
}

/**
 * Win probability and reasons of every open deal (`dealX`: the capped rows, closed ones first as in `deals`).
 * Each row is scored on its own, so a deal gets the same probability scored with the whole tenant or alone.
 */
export function scoreOpenDeals(
  data: CleanData,
  deals: DealFeatureSet,
  dealX: Matrix,
  model: ScoringModel,
  prev: PreviousScores,
  texts: Map<string, string>,
): { scores: RecordScore[]; probability: Float64Array } {
  const nClosed = deals.closed.length;
  const openRows = Int32Array.from({ length: deals.open.length }, (_, i) => nClosed + i);
  const probability = new Float64Array(deals.open.length).fill(Number.NaN);
  const scores: RecordScore[] = [];
  const { classifier, calibrator } = model;
  for (let start = 0; start < openRows.length; start += BATCH) {
    const rows = openRows.subarray(start, start + BATCH);
    const x = takeRows(dealX, rows);
    const shown = takeRows(deals.x, rows);
    const p = classifier.predict(x);
    const errors = classifier.standardErrors?.(x);
    const reasons = topReasons(classifier, x, {
      currency: data.currency,
      extra: (feature, i) => {
        if (feature === 'stage_index') {
          // The stage as the rep knows it ("at stage “Contract sent”"), when the CRM gave its label.
          const stage = data.deals[deals.open[start + i]!]!.record.stage;
          const label = stage ? data.stageLabels?.[stage] : undefined;
          return label ? `at stage “${label}”` : null;
        }
        return null;
      },
      shown,
      texts,
      previous: (i) => featuresOf(prev.reasons.get(`deal:${data.deals[deals.open[start + i]!]!.record.id}:win`)),
    });
    for (let i = 0; i < rows.length; i++) {
      const value = calibrator.apply(p[i]!);
      probability[start + i] = value;
      const id = data.deals[deals.open[start + i]!]!.record.id;
      scores.push({
        objectType: 'deal',
        recordId: id,
        kind: 'win',
        probability: value,
        previousProbability: prev.probability.get(`deal:${id}:win`) ?? null,
        reasons: stableReasons(reasons[i]!, prev.reasons.get(`deal:${id}:win`)),
        modelVersion: model.version,
        standardError: roundError(calibratedError(calibrator, p[i]!, errors?.[i])),
        featureHash: featureHash(x.data.subarray(i * x.cols, (i + 1) * x.cols)),
      });
    }
  }
  return { scores, probability };
}

/**
 * Churn risk (customers) or conversion probability (the rest) and reasons of every contact, from its current
 * features capped at `caps`; each row on its own, as for deals.
 */
export function scoreContacts(
  data: CleanData,
  contactsNow: Matrix,
  model: ScoringModel,
  caps: FeatureCap[],
  prev: PreviousScores,
  texts: Map<string, string>,
  fixes: Record<string, number>,
): { scores: RecordScore[]; probability: Float64Array } {
  const probability = new Float64Array(data.contacts.length).fill(Number.NaN);
  const scores: RecordScore[] = [];
  const { classifier, calibrator } = model;
  const wonCol = HISTORY_FEATURES.indexOf('won_deals');
  // Batches reuse two buffers (large typed-array allocations each cost a full garbage collection of the heap).
  const size = min(BATCH, data.contacts.length) * HISTORY_FEATURES.length;
  const shownBuffer = new Float64Array(size);
  const modelBuffer = new Float64Array(size);
  for (let start = 0; start < data.contacts.length; start += BATCH) {
    const rows = Int32Array.from({ length: min(BATCH, data.contacts.length - start) }, (_, i) => start + i);
    const shown = takeColumns(contactsNow, HISTORY_FEATURES, rows, shownBuffer);
    const x = { ...shown, data: modelBuffer.subarray(0, shown.data.length) };
    x.data.set(shown.data);
    bucketContactDays(x);
    countCaps(fixes, 'contact_model_scoring', applyCaps(x, caps, { inPlace: true }).capped);
    const p = classifier.predict(x);
    const errors = classifier.standardErrors?.(x);
    const customer = (i: number) => shown.data[i * shown.cols + wonCol]! > 0;
    // For churn risk, a feature that raises the chance of buying lowers the risk.
    const reasons = topReasons(classifier, x, {
      shown,
      negate: customer,
      texts,
      currency: data.currency,
      previous: (i) =>
        featuresOf(
          prev.reasons.get(`contact:${data.contacts[start + i]!.record.id}:${customer(i) ? 'churn' : 'conversion'}`),
        ),
    });
    for (let i = 0; i < rows.length; i++) {
      const value = calibrator.apply(p[i]!);
      probability[start + i] = value;
      const kind = customer(i) ? 'churn' : 'conversion';
      const id = data.contacts[start + i]!.record.id;
      scores.push({
        objectType: 'contact',
        recordId: id,
        kind,
        probability: kind === 'churn' ? 1 - value : value,
        previousProbability: prev.probability.get(`contact:${id}:${kind}`) ?? null,
        reasons: stableReasons(reasons[i]!, prev.reasons.get(`contact:${id}:${kind}`)),
        modelVersion: model.version,
        // Churn risk is 1 − the buying probability: the same error.
        standardError: roundError(calibratedError(calibrator, p[i]!, errors?.[i])),
        featureHash: featureHash(x.data.subarray(i * x.cols, (i + 1) * x.cols)),
      });
    }
  }
  return { scores, probability };
}

/** Standard errors to a tenth of a point: enough for the hold band, and a stored row does not change for less. */
function roundError(e: number): number {
  return Math.round(e * 1000) / 1000;
}

function featuresOf(reasons: ReadonlyArray<{ feature: string }> | undefined): string[] | undefined {
  return reasons?.map((r) => r.feature);
}
