import { cleanRecords } from './clean/clean-records.js';
import { EngineInputError } from './engine-error.js';
import { applyCaps } from './features/cap-outliers.js';
import { contactFeatures } from './features/contact-features.js';
import { openDealFeatures } from './features/deal-features.js';
import { featureTime } from './features/feature-time.js';
import { isFiniteNumber } from './lib/math.js';
import { checkModels, restoreScorer } from './models/stored-models.js';
import { actionWorthOf } from './nba/action-worth.js';
import { decideActions } from './nba/decide-actions.js';
import { type EngineSettingsInput, resolveSettings } from './run-engine.js';
import { previousScores, scoreContacts, scoreOpenDeals } from './scores/build-scores.js';
import { placeInSegments } from './segments/build-segments.js';
import type {
  CrossSellResult,
  EngineInput,
  EngineOptions,
  HeldOutAction,
  NextBestAction,
  RecordScore,
} from './types.js';

/**
 * A few records and what their features need: the records to score (`targets`), their deals' contacts, those
 * contacts' deals, the deals' line items, products and stage history, the companies they name, and
 * what the last run left for them (`previous`: their segments, scores and current actions).
 */
export interface Neighbourhood extends EngineInput {
  targets: { deals: readonly string[]; contacts: readonly string[] };
  /** The last full run's cross-sell recommendations for the target contacts (cross-sell is fitted on full runs). */
  recommendations?: CrossSellResult['recommendations'];
}

/** The target records' results, in the shapes a full run gives them (`ResultsRepository.saveRecords` stores them). */
export interface RecordsResult {
  tenantId: string;
  asOf: string;
  /** The full run whose models scored them (its `asOf`). */
  modelsAsOf: string;
  /** The records scored (their rows are replaced; a target without a result here loses its old one). */
  targets: { deals: readonly string[]; contacts: readonly string[] };
  scores: RecordScore[];
  members: Array<{ objectType: 'contact'; recordId: string; segmentKey: string }>;
  actions: NextBestAction[];
  /** Target records of the control group and the action each would have had (never written back). */
  heldOut: HeldOutAction[];
  /** Records the neighbourhood held (read) and results produced for the targets. */
  counts: { contacts: number; deals: number; scores: number; actions: number };
}

/**
 * Scores a few records with a full run's stored models, without refitting anything: their features with the
 * stored parameters (stage order, caps, owner and segment win rates, amount medians), the stored forest and
 * calibration, the nearest stored segment centre (a contact keeps its segment within the margin, as in a full
 * run), and their next-best-actions with the stored action worths and the previous actions' hysteresis. A record
 * that did not change gets the probability the full run gave it. Pure; cost follows the neighbourhood's size.
 */
export function scoreRecords(
  storedModels: unknown,
  neighbourhood: Neighbourhood,
  settingsInput: EngineSettingsInput,
  options: EngineOptions,
): RecordsResult {
  const models = checkModels(storedModels);
  if (models.tenantId !== neighbourhood.tenantId)
    throw new EngineInputError(`stored models are tenant ${models.tenantId}'s, not ${neighbourhood.tenantId}'s`);
  if (!isFiniteNumber(options.now))
    throw new EngineInputError(`now must be a time in milliseconds, got ${options.now}`);
  const settings = resolveSettings(settingsInput);
  const { now } = options;
  const previous = neighbourhood.previous ?? {};
  // Day counts as the full run measures them: at the end of today (see featureTime).
  const at = featureTime(now);
  const data = cleanRecords(neighbourhood, settings, at, models.amountMedians);
  const contactsNow = contactFeatures(data, at);
  const memberOf = new Map((previous.members ?? []).map((m) => [m.recordId, m.segmentKey]));
  const seg = models.segments;
  const labels = seg ? placeInSegments(seg, contactsNow, (i) => memberOf.get(data.contacts[i]!.record.id)) : null;
  const keys = seg?.keys ?? [];
  const names = seg?.names ?? [];
  const deals = openDealFeatures(
    data,
    new Map(models.stageOrder),
    { labels, names },
    models.win?.rates ?? { base: 0.5, owner: {} },
    at,
  );
  const prev = previousScores(previous.scores);
  const texts = new Map<string, string>();
  const fixes = data.health.fixes;
  const wins = models.win
    ? scoreOpenDeals(data, deals, applyCaps(deals.x, models.win.caps).matrix, restoreScorer(models.win), prev, texts)
    : { scores: [], probability: new Float64Array(deals.open.length).fill(Number.NaN) };
  const buys = models.contacts
    ? scoreContacts(data, contactsNow, restoreScorer(models.contacts), models.contacts.caps, prev, texts, fixes)
    : { scores: [] };
  const actions = decideActions({
    tenantId: neighbourhood.tenantId,
    data,
    deals,
    openDealProbability: wins.probability,
    winScores: wins.scores,
    contactsNow,
    contactScores: buys.scores,
    segmentKeyOfContact: (i) => (labels ? (keys[labels[i]!] ?? null) : null),
    segmentNameOfContact: (i) => (labels ? (names[labels[i]!] ?? null) : null),
    crossSell: { baskets: 0, rules: [], recommendations: neighbourhood.recommendations ?? [] },
    forecasts: [],
    past: [],
    current: previous.current ?? [],
    settings: settings.actions,
    now,
    learned: actionWorthOf(models.actions.tallies),
    revenueGap: models.actions.revenueGap,
    // The segments' usual risk as the full run measured it over all customers (none from older models).
    usualChurnRisk: models.actions.usualChurnRisk ?? {},
  });
  // Only the targets: the other records of the neighbourhood were read for the targets' features, not in full.
  const dealTargets = new Set(neighbourhood.targets.deals);
  const contactTargets = new Set(neighbourhood.targets.contacts);
  const isTarget = (objectType: 'deal' | 'contact', id: string) =>
    objectType === 'deal' ? dealTargets.has(id) : contactTargets.has(id);
  const scores = [...wins.scores, ...buys.scores].filter((s) => isTarget(s.objectType, s.recordId));
  const members: RecordsResult['members'] = [];
  if (labels)
    data.contacts.forEach((c, i) => {
      if (contactTargets.has(c.record.id))
        members.push({ objectType: 'contact', recordId: c.record.id, segmentKey: keys[labels[i]!]! });
    });
  const targetActions = actions.actions.filter((a) => isTarget(a.objectType, a.recordId));
  return {
    tenantId: neighbourhood.tenantId,
    asOf: new Date(now).toISOString(),
    modelsAsOf: models.asOf,
    targets: neighbourhood.targets,
    scores,
    members,
    actions: targetActions,
    heldOut: (actions.heldOut ?? []).filter((a) => isTarget(a.objectType, a.recordId)),
    counts: {
      contacts: neighbourhood.contacts.length,
      deals: neighbourhood.deals.length,
      scores: scores.length,
      actions: targetActions.length,
    },
  };
}
