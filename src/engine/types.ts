import type {
  Association,
  Company,
  Contact,
  Deal,
  DealStageChange,
  LineItem,
  Owner,
  Product,
} from '../domain/records.js';
import type { CalibrationBin } from './lib/metrics.js';
import type { Exposure, LiftResult, LiftSettings } from './lift/measure-lift.js';
import type { StoredModels } from './models/stored-models.js';

/** The canonical records of one tenant, plus what the previous run left. */
export interface EngineInput {
  tenantId: string;
  contacts: Contact[];
  companies: Company[];
  deals: Deal[];
  lineItems: LineItem[];
  products: Product[];
  owners: Owner[];
  associations: Association[];
  stageChanges: DealStageChange[];
  previous?: PreviousRun;
}

/** What the last run left (from the store's segments, scores and actions tables). */
export interface PreviousRun {
  /** Segment centres in the features' own units, so new centres can be matched and ids kept. */
  segments?: Array<{ segmentKey: string; name: string; centre: Record<string, number> }>;
  /** Each contact's segment in the last run: kept unless another centre is clearly closer. */
  members?: Array<{ recordId: string; segmentKey: string }>;
  scores?: Array<{
    objectType: 'deal' | 'contact';
    recordId: string;
    kind: ScoreKind;
    probability: number;
    /** The reasons as last stated: kept word for word while the set of top factors is the same. */
    reasons?: Array<Pick<Reason, 'feature' | 'text'>>;
  }>;
  actions?: PastAction[];
  /** Records of the control group and the action each would have had, first when (for the lift). */
  holdout?: Exposure[];
  /** The last run's next-best-action per record: kept (with its due date and reason) unless another is clearly better. */
  current?: PreviousAction[];
}

/** One record's next-best-action as the last run left it. */
export interface PreviousAction {
  objectType: 'deal' | 'contact';
  recordId: string;
  action: ActionType;
  priority: NextBestAction['priority'];
  /** YYYY-MM-DD (or an ISO time); empty when none. */
  dueDate: string;
  reason: string;
}

export type ActionType =
  | 'call'
  | 'email'
  | 'meeting'
  | 'discount_offer'
  | 'cross_sell'
  | 're_engage'
  | 'hand_to_success'
  | 'none';

export type ActionOutcome = 'completed' | 'stage_advanced' | 'won' | 'lost' | 'ignored';

export interface PastAction {
  objectType: 'deal' | 'contact';
  recordId: string;
  action: ActionType;
  /** The record's segment when the action was planned. */
  segmentKey: string | null;
  createdAt: string;
  outcome: ActionOutcome | null;
}

export interface EngineSettings {
  /** Currency every amount is reported in; deals in others are converted with `exchangeRates`. */
  currency: string;
  /** Units of `currency` per unit of each other currency, e.g. { EUR: 1.08 }. */
  exchangeRates: Record<string, number>;
  segments: {
    /** Fixed number of segments; chosen by silhouette from kMin..kMax when absent. */
    k?: number;
    /** Contact features to cluster on (default: RFM, engagement and tenure, see SEGMENT_FEATURES). */
    features?: string[];
    kMin: number;
    kMax: number;
    starts: number;
    /** Rows k-means is fitted on (all rows are then assigned to the nearest centre). */
    fitSample: number;
    silhouetteSample: number;
    /** Keep the previous run's k unless the best k's silhouette beats it by more than this. */
    stickiness: number;
    /**
     * A contact stays in last run's segment unless another centre is closer by more than this (in standard
     * deviations of the clustered features).
     */
    switchMargin: number;
  };
  forecast: { horizon: number; season: number; origins: number };
  scores: {
    trees: number;
    /** Einstein's minimum: at least this many won and this many lost closed deals for the forest. */
    minPerClass: number;
    /** Closed records sampled for training beyond this many (the rest are still scored). */
    maxTrainRows: number;
    minSamplesLeaf: number;
    maxDepth: number;
    /** Contacts: will they buy in this many days after the cutoff? */
    conversionWindowDays: number;
  };
  crossSell: { minSupport: number; minConfidence: number; minLift: number; perRecord: number };
  actions: {
    maxContactActions: number;
    staleDays: number;
    /**
     * Another action replaces a record's current one only when its expected worth is higher by this share
     * (0.1 = 10 %); see decide-actions.ts for why a margin, with the conditions' own hysteresis, is enough.
     */
    switchMargin: number;
    /** Expected worth (in `currency`) from which a deal action is high / medium priority (absolute, not by rank). */
    dealPriority: { high: number; medium: number };
    /** The same for contact actions. */
    contactPriority: { high: number; medium: number };
    /** A record keeps its priority until its worth falls this share below the threshold it crossed. */
    priorityHysteresis: number;
    /**
     * Share of records (0..0.5) in the control group: stable by a hash of (tenant, record), they get no action and
     * no task, and the lift of the actions is measured against them (src/engine/lift/).
     */
    holdoutShare: number;
    /**
     * `learned` (default): the learning policy (nba/learning-policy.ts) picks among a deal's applicable actions by
     * their uplift measured against the control group and never recommends an action clearly harmful in the
     * record's segment; with too little history it follows the rules. `rules`: the rules only.
     */
    policy: 'rules' | 'learned';
  };
  /** How the lift of the actions is measured against the control group. */
  lift: LiftSettings;
  /** Open stages in order; inferred from stage history when absent. */
  stageOrder?: string[];
  /** The CRM's own label of each deal stage id (HubSpot's stage ids are internal: `appointmentscheduled`, `2000100`). */
  stageLabels?: Record<string, string>;
}

export const DEFAULT_SETTINGS: EngineSettings = {
  currency: 'USD',
  exchangeRates: {},
  segments: {
    kMin: 2,
    kMax: 10,
    starts: 4,
    fitSample: 50_000,
    silhouetteSample: 2_000,
    stickiness: 0.03,
    switchMargin: 0.25,
  },
  forecast: { horizon: 6, season: 12, origins: 3 },
  scores: {
    trees: 100,
    minPerClass: 200,
    maxTrainRows: 100_000,
    minSamplesLeaf: 1,
    maxDepth: 40,
    conversionWindowDays: 180,
  },
  crossSell: { minSupport: 0.005, minConfidence: 0.2, minLift: 1.2, perRecord: 3 },
  actions: {
    maxContactActions: 20_000,
    staleDays: 14,
    switchMargin: 0.1,
    dealPriority: { high: 5_000, medium: 2_000 },
    contactPriority: { high: 15_000, medium: 5_000 },
    priorityHysteresis: 0.2,
    holdoutShare: 0.1,
    policy: 'learned',
  },
  lift: { windowDays: 90, minGroup: 30 },
};

export interface EngineOptions {
  seed: number;
  /** The run's "today", ms since the epoch (from the injected clock). */
  now: number;
}

export interface StageTiming {
  stage: 'clean' | 'features' | 'segments' | 'forecasts' | 'scores' | 'cross-sell' | 'actions';
  seconds: number;
}

/** Every fix the clean stage made, counted, and the policy it followed. */
export interface DataHealth {
  input: Record<string, number>;
  kept: Record<string, number>;
  /** e.g. `contacts.duplicates_merged`, `deals.amount_missing_filled_from_line_items`. */
  fixes: Record<string, number>;
  policy: string[];
  warnings: string[];
}

export interface SegmentProfileEntry {
  feature: string;
  /** Mean of the feature in the segment, in its own units. */
  mean: number;
  populationMean: number;
  /** Difference in population standard deviations (of the transformed feature). */
  z: number;
}

export interface Segment {
  /** Stable across runs (matched to the previous run's centres). */
  segmentKey: string;
  name: string;
  size: number;
  /** Share of won revenue from the segment's contacts. */
  valueShare: number;
  profile: SegmentProfileEntry[];
  /** Centre in the features' own units (feed back as `previous.segments`). */
  centre: Record<string, number>;
  /** Key this segment matched in the previous run, null when new. */
  previousKey: string | null;
}

export type SegmentsResult =
  | {
      status: 'ok';
      k: number;
      chosenBy: 'setting' | 'silhouette' | 'previous run';
      silhouette: number;
      /** Silhouette per k tried (when chosen automatically). */
      silhouetteByK: Array<{ k: number; silhouette: number }>;
      inertia: number;
      features: string[];
      segments: Segment[];
      members: Array<{ objectType: 'contact'; recordId: string; segmentKey: string }>;
      /** A sample of contacts on the first two principal components of the clustered features, for a 2-D picture. */
      projection?: Array<{ x: number; y: number; segmentKey: string }>;
    }
  | { status: 'not-enough-data'; message: string; contacts: number };

export interface ForecastPoint {
  /** YYYY-MM */
  period: string;
  kind: 'actual' | 'forecast';
  value: number;
  lo80: number | null;
  hi80: number | null;
  lo95: number | null;
  hi95: number | null;
}

export interface SeriesResult {
  /** e.g. `revenue:total`, `revenue:default`, `pipeline:renewal`. */
  series: string;
  status: 'ok' | 'not-enough-data';
  model: string | null;
  chosenBy: string | null;
  message: string | null;
  /** History then forecast. */
  points: ForecastPoint[];
  /** Backtest sMAPE per candidate, best first. */
  backtest: Array<{ model: string; smape: number }>;
}

export type ScoreKind = 'win' | 'churn' | 'conversion';

export interface Reason {
  feature: string;
  value: number | null;
  /** Change in probability this feature makes for the record (percentage points / 100). */
  contribution: number;
  text: string;
}

export interface RecordScore {
  objectType: 'deal' | 'contact';
  recordId: string;
  kind: ScoreKind;
  probability: number;
  previousProbability: number | null;
  reasons: Reason[];
  modelVersion: string;
  /**
   * The probability's standard error (same units, after calibration): the model's own uncertainty about the record,
   * from the spread of the forest's trees or the logistic fit's delta method. The write-back holds a written
   * probability while the new one stays within `scoreHoldWithin` of these.
   */
  standardError?: number;
  /**
   * A short hash of the feature values the model scored (featureHash): the write-back keeps it with the probability
   * it writes, and holds a later move made with the same features (a retrain alone) unless it is large.
   */
  featureHash?: string;
}

export interface ModelQuality {
  status: 'forest' | 'simpler-model' | 'no-model';
  model: string;
  message: string;
  /** Minimum-data check with the real counts. */
  minimumData: { positives: number; negatives: number; required: number; met: boolean };
  trainRows: number;
  testRows: number;
  auc: number | null;
  brier: number | null;
  /** Expected calibration error on the held-out rows (ten equal-mass bins); absent in results stored before it. */
  ece?: number | null;
  baseRate: number;
  calibration: CalibrationBin[];
  calibrationMethod: string;
  /** How importance was measured: permutation on the held-out set when there is one. */
  importanceMethod: string;
  importance: Array<{ feature: string; importance: number }>;
  /** Features left out of the model and why (e.g. no history to rebuild them as of a training cutoff). */
  excludedFeatures?: Array<{ feature: string; reason: string }>;
}

export interface ScoresResult {
  win: { quality: ModelQuality; scores: RecordScore[] };
  contacts: { quality: ModelQuality; scores: RecordScore[] };
}

export interface Recommendation {
  productId: string;
  productName: string;
  score: number;
  basis: 'rule' | 'neighbours';
  because: string;
}

export interface AssociationRule {
  antecedent: string[];
  consequent: string;
  support: number;
  confidence: number;
  lift: number;
}

export interface CrossSellResult {
  baskets: number;
  rules: AssociationRule[];
  recommendations: Array<{ objectType: 'company' | 'contact'; recordId: string; items: Recommendation[] }>;
}

export interface NextBestAction {
  objectType: 'deal' | 'contact';
  recordId: string;
  actionKey: string;
  action: ActionType;
  priority: 'high' | 'medium' | 'low';
  dueDate: string;
  reason: string;
  /** Expected worth used to rank (amount × probability × learned action worth). */
  value: number;
  segmentKey: string | null;
}

export interface ActionsResult {
  actions: NextBestAction[];
  /** Learned worth of each action per segment (posterior mean success rate). */
  actionWorth: Array<{ segmentKey: string | null; action: ActionType; worth: number; observations: number }>;
  /** From past actions whose deal closed: won / (won + lost). */
  winRateByAction: Array<{ action: ActionType; won: number; lost: number; winRate: number | null }>;
  /** Records of the control group and the action each would have had: not in `actions`, so never written back. */
  heldOut?: HeldOutAction[];
}

/** A control-group record's would-be action. */
export interface HeldOutAction {
  objectType: 'deal' | 'contact';
  recordId: string;
  action: ActionType;
  segmentKey: string | null;
}

export interface EngineResult {
  tenantId: string;
  asOf: string;
  seed: number;
  health: DataHealth;
  timings: StageTiming[];
  segments: SegmentsResult;
  forecasts: SeriesResult[];
  scores: ScoresResult;
  crossSell: CrossSellResult;
  actions: ActionsResult;
  /** The actions' lift against the control group, from past exposures and outcomes (full runs). */
  lift?: LiftResult;
  /** What the run learned, to score a few records later as it did (src/engine/models/); a full run always sets it. */
  models?: StoredModels;
}
