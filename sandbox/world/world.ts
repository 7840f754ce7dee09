/**
 * A seeded, CRM-agnostic world of customers that both sandboxes serve (each maps it to its CRM's shapes and
 * ids). It plants known structure (customer segments, what makes deals win, seasonal revenue, products bought
 * together, duplicates and missing values) and keeps the truth, so the engine's tests can check that its
 * models recover it. Indexes, not CRM ids, link the parts.
 */
export interface World {
  seed: number;
  /** The world's "today" (ISO date); all history lies before it, open deals close after it. */
  asOf: string;
  owners: WorldOwner[];
  products: WorldProduct[];
  companies: WorldCompany[];
  contacts: WorldContact[];
  deals: WorldDeal[];
  truth: WorldTruth;
}

export interface WorldOwner {
  index: number;
  firstName: string;
  lastName: string;
  email: string;
  /** Planted selling skill (z-score): raises the win odds of the owner's deals. */
  skill: number;
}

export interface WorldProduct {
  index: number;
  sku: string;
  name: string;
  category: string;
  price: number;
}

export interface WorldCompany {
  index: number;
  name: string;
  domain: string;
  industry: string;
  employees: number;
  annualRevenue: number;
  country: string;
  city: string;
  ownerIndex: number;
  createdAt: string;
}

export type SegmentKey = 'champions' | 'steady' | 'lapsed' | 'prospects' | 'cold';

export interface WorldContact {
  index: number;
  companyIndex: number;
  firstName: string;
  lastName: string;
  email: string;
  /** Missing values are planted: about one contact in six lacks a job title, one in ten a phone or country. */
  jobTitle: string | null;
  phone: string | null;
  country: string | null;
  ownerIndex: number;
  createdAt: string;
  lastActivityAt: string;
  emailOpens: number;
  pageViews: number;
  /** subscriber | lead | opportunity | customer, following the contact's deals as a CRM would. */
  lifecycleStage: string;
  /** The planted segment (truth; not a CRM property). */
  segment: SegmentKey;
  /** Set on planted duplicates: the index of the contact this one duplicates (same person, other email). */
  duplicateOf: number | null;
}

/** 0–4: the open stages in order (appointment → contract sent); then the two closed ones. */
export type WorldStage = 0 | 1 | 2 | 3 | 4 | 'won' | 'lost';

export interface WorldDeal {
  index: number;
  name: string;
  companyIndex: number;
  /** The primary contact first. */
  contactIndexes: number[];
  ownerIndex: number;
  pipeline: 'new_business' | 'renewal';
  createdAt: string;
  /** Actual close date for closed deals, expected close date for open ones. */
  closeDate: string;
  stage: WorldStage;
  stageHistory: Array<{ stage: WorldStage; at: string }>;
  /** Sum of line items; null on a few planted deals with a missing amount. */
  amount: number | null;
  lineItems: Array<{ productIndex: number; quantity: number; unitPrice: number; discount: number }>;
  /** Logged sales activities (calls, emails, meetings) on the deal. */
  activityCount: number;
  lastActivityAt: string;
  /** The planted probability that the deal wins (truth). */
  winProbability: number;
}

export interface WorldTruth {
  segments: Array<{ key: SegmentKey; name: string; size: number }>;
  /** What drives winning, strongest first, with the planted effect on the log-odds per standard deviation. */
  winDrivers: Array<{ driver: string; effect: number }>;
  /** Monthly multipliers of new deals (Jan..Dec) on top of a steady trend. */
  seasonality: number[];
  monthlyTrend: number;
  bundles: Array<{ a: string; b: string; probability: number }>;
  duplicates: Array<[number, number]>;
}
