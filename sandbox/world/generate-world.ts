import { Rng } from './rng.js';
import {
  BUNDLES,
  CATALOGUE,
  COMPANY_SUFFIXES,
  COMPANY_WORDS,
  COUNTRIES,
  FIRST_NAMES,
  INDUSTRIES,
  JOB_TITLES,
  LAST_NAMES,
} from './vocabulary.js';
import type {
  SegmentKey,
  World,
  WorldCompany,
  WorldContact,
  WorldDeal,
  WorldOwner,
  WorldProduct,
  WorldStage,
} from './world.js';

export interface WorldOptions {
  seed: number;
  contacts: number;
  companies: number;
  deals: number;
  owners?: number;
  /** The world's today, an ISO date; history spans the 36 months before it. */
  asOf: string;
}

const DAY = 86_400_000;
const MONTH = 30.44 * DAY;
const MONTHS = 36;
/** Open deals are expected to close up to this many months after asOf. */
const FUTURE_MONTHS = 3;
const SEASONALITY = [0.8, 0.85, 1.05, 0.95, 1, 1.1, 0.8, 0.75, 1.05, 1.1, 1.2, 1.35];
const MONTHLY_TREND = 0.015;

/**
 * How each planted segment behaves. Deal weight: relative number of deals; window: how many months before asOf
 * its deals close (negative: expected to close after asOf, so still open); tenure: months since creation.
 */
const SEGMENTS: Record<
  SegmentKey,
  {
    name: string;
    share: number;
    dealWeight: number;
    winBias: number;
    window: [number, number];
    tenure: [number, number];
    activityDays: [number, number];
    opens: number;
    views: number;
  }
> = {
  champions: {
    name: 'Champions',
    share: 0.12,
    dealWeight: 6,
    winBias: 1,
    window: [-3, 36],
    tenure: [30, 42],
    activityDays: [1, 20],
    opens: 45,
    views: 110,
  },
  steady: {
    name: 'Steady buyers',
    share: 0.23,
    dealWeight: 2.5,
    winBias: 0.4,
    window: [-3, 36],
    tenure: [24, 42],
    activityDays: [15, 90],
    opens: 14,
    views: 30,
  },
  lapsed: {
    name: 'Lapsed customers',
    share: 0.2,
    dealWeight: 1.6,
    winBias: 0.3,
    window: [15, 36],
    tenure: [38, 44],
    activityDays: [300, 700],
    opens: 2,
    views: 4,
  },
  prospects: {
    name: 'New prospects',
    share: 0.2,
    dealWeight: 1,
    winBias: -0.4,
    window: [-3, 8],
    tenure: [9, 12],
    activityDays: [1, 30],
    opens: 20,
    views: 45,
  },
  cold: {
    name: 'Cold leads',
    share: 0.25,
    dealWeight: 0.06,
    winBias: -1,
    window: [-3, 36],
    tenure: [24, 42],
    activityDays: [200, 900],
    opens: 1,
    views: 2,
  },
};
const SEGMENT_KEYS = Object.keys(SEGMENTS) as SegmentKey[];

/** Planted effects on a deal's log-odds of winning, per standard deviation of each driver. */
const WIN_EFFECTS = { ownerSkill: 1.1, activity: 0.9, segment: 0.6, amount: -0.35 } as const;

/** Builds the world. Deterministic: the same options give the same world. Linear in its size. */
export function generateWorld(options: WorldOptions): World {
  const rng = new Rng(options.seed);
  const asOf = Date.parse(options.asOf);
  if (Number.isNaN(asOf)) throw new Error(`asOf must be an ISO date, got ${options.asOf}`);
  const iso = (ms: number) => new Date(Math.min(ms, asOf - 60_000)).toISOString();
  const monthsAgo = (m: number, r: Rng) => asOf - m * MONTH - r.uniform(0, MONTH);

  const owners = makeOwners(rng.fork('owners'), options.owners ?? 10);
  const products: WorldProduct[] = CATALOGUE.map((p, index) => ({ index, ...p }));
  const companies = makeCompanies(rng.fork('companies'), options.companies, owners.length, (m, r) =>
    iso(monthsAgo(m, r)),
  );

  // Contacts: every company gets contacts in proportion to its size; each contact has a planted segment.
  const cr = rng.fork('contacts');
  const companyWeights = new Float64Array(companies.length);
  companies.reduce((total, c, i) => {
    companyWeights[i] = total + Math.log(c.employees + 2);
    return companyWeights[i]!;
  }, 0);
  const contacts: WorldContact[] = [];
  const duplicates: Array<[number, number]> = [];
  for (let index = 0; index < options.contacts; index++) {
    const companyIndex = index < companies.length ? index : cr.weightedCumulative(companyWeights);
    const company = companies[companyIndex]!;
    const duplicateOf = index > 20 && cr.chance(0.01) ? cr.int(0, index - 1) : null;
    const original = duplicateOf === null ? undefined : contacts[duplicateOf];
    const segment = original?.segment ?? SEGMENT_KEYS[cr.weighted(SEGMENT_KEYS.map((k) => SEGMENTS[k].share))]!;
    const s = SEGMENTS[segment];
    const firstName = original?.firstName ?? cr.pick(FIRST_NAMES);
    const lastName = original?.lastName ?? cr.pick(LAST_NAMES);
    const tag = index.toString(36);
    const email = original
      ? `${firstName.toLowerCase()}.${lastName.toLowerCase()}.${tag}@mail.example.org`
      : `${firstName.toLowerCase()}.${lastName.toLowerCase()}.${tag}@${company.domain}`;
    if (original) duplicates.push([original.index, index]);
    contacts.push({
      index,
      companyIndex: original?.companyIndex ?? companyIndex,
      firstName,
      lastName,
      email,
      jobTitle: cr.chance(0.17) ? null : cr.pick(JOB_TITLES),
      phone: cr.chance(0.1) ? null : `+1 555 ${String(cr.int(100, 999))} ${String(cr.int(1000, 9999))}`,
      country: cr.chance(0.1) ? null : company.country,
      ownerIndex: company.ownerIndex,
      createdAt: iso(monthsAgo(cr.uniform(s.tenure[0], s.tenure[1]), cr)),
      lastActivityAt: iso(asOf - cr.uniform(s.activityDays[0], s.activityDays[1]) * DAY),
      emailOpens: Math.round(cr.logNormal(s.opens + 0.5, 0.35)),
      pageViews: Math.round(cr.logNormal(s.views + 0.5, 0.35)),
      lifecycleStage: 'lead',
      segment,
      duplicateOf,
    });
  }

  // Deals: first a close month for each, exactly in proportion to seasonality × trend (so revenue is seasonal
  // whatever the segment mix), then a contact from the segments whose deals close in that month.
  const dr = rng.fork('deals');
  const skillSd = Math.sqrt(owners.reduce((a, o) => a + o.skill * o.skill, 0) / owners.length) || 1;
  const contactsByCompany: number[][] = companies.map(() => []);
  const membersBySegment = new Map<SegmentKey, number[]>(SEGMENT_KEYS.map((k) => [k, []]));
  for (const c of contacts) {
    contactsByCompany[c.companyIndex]!.push(c.index);
    if (c.duplicateOf === null) membersBySegment.get(c.segment)!.push(c.index);
  }
  const closeMonths = allocateCloseMonths(options.deals, new Date(asOf).getUTCMonth());
  const deals: WorldDeal[] = [];
  const wonBefore = new Set<number>();
  for (let index = 0; index < options.deals; index++) {
    const monthsBefore = closeMonths[index]!;
    const segmentWeights = SEGMENT_KEYS.map((k) => {
      const { window, dealWeight } = SEGMENTS[k];
      return monthsBefore >= window[0] && monthsBefore < window[1] ? dealWeight * membersBySegment.get(k)!.length : 0;
    });
    const members = membersBySegment.get(SEGMENT_KEYS[dr.weighted(segmentWeights)]!)!;
    const primary = contacts[dr.pick(members)]!;
    const s = SEGMENTS[primary.segment];
    const company = companies[primary.companyIndex]!;
    const cycleDays = Math.min(200, Math.max(7, dr.logNormal(45, 0.5)));
    const closeAt = asOf - (monthsBefore + dr.next()) * MONTH;
    const created = Math.min(closeAt - cycleDays * DAY, asOf - dr.uniform(1, 10) * DAY);
    // A contact exists before its deals: one created later than this deal is moved earlier.
    if (Date.parse(primary.createdAt) >= created) primary.createdAt = iso(created - dr.uniform(1, 60) * DAY);
    const lineItems = makeLineItems(dr, company.employees);
    const amount = lineItems.reduce((a, li) => a + li.quantity * li.unitPrice * (1 - li.discount), 0);
    const activityCount = Math.max(0, Math.round(dr.logNormal(6, 0.6) * (s.opens > 10 ? 1.4 : 0.8)));
    const owner = owners[company.ownerIndex]!;
    const logit =
      -0.1 +
      WIN_EFFECTS.ownerSkill * (owner.skill / skillSd) +
      WIN_EFFECTS.activity * ((Math.log1p(activityCount) - 2) / 0.6) +
      WIN_EFFECTS.segment * s.winBias +
      WIN_EFFECTS.amount * (Math.log(amount / 4000) / 0.8) +
      dr.normal(0, 0.5);
    const winProbability = 1 / (1 + Math.exp(-logit));
    const closed = closeAt < asOf;
    const won = closed && dr.chance(winProbability);
    const reached: number = won
      ? 4
      : closed
        ? dr.int(0, 4)
        : Math.min(4, Math.floor(((asOf - created) / (closeAt - created)) * 5));
    const stageHistory: WorldDeal['stageHistory'] = [];
    const end = closed ? closeAt : asOf;
    for (let st = 0; st <= reached; st++)
      stageHistory.push({ stage: st as WorldStage, at: iso(created + ((end - created) * st) / (reached + 1)) });
    const stage: WorldStage = closed ? (won ? 'won' : 'lost') : (reached as WorldStage);
    if (closed) stageHistory.push({ stage, at: iso(closeAt) });
    // Colleagues on the deal come from the same company and behave like the primary contact (same planted
    // segment), so a segment's purchases stay with that segment.
    const colleagues = [primary];
    const sameCompany = contactsByCompany[primary.companyIndex]!;
    for (let k = dr.int(0, 2); k > 0; k--) {
      const other = contacts[dr.pick(sameCompany)]!;
      if (other.duplicateOf === null && other.segment === primary.segment && !colleagues.includes(other))
        colleagues.push(other);
    }
    const renewal = wonBefore.has(primary.index) && dr.chance(0.4);
    deals.push({
      index,
      name: `${company.name} · ${renewal ? 'Renewal' : products[lineItems[0]!.productIndex]!.name}`,
      companyIndex: company.index,
      contactIndexes: colleagues.map((c) => c.index),
      ownerIndex: company.ownerIndex,
      pipeline: renewal ? 'renewal' : 'new_business',
      createdAt: iso(created),
      closeDate: new Date(closeAt).toISOString(),
      stage,
      stageHistory,
      amount: dr.chance(0.02) ? null : Math.round(amount * 100) / 100,
      lineItems,
      activityCount,
      lastActivityAt: iso(closed ? closeAt - dr.uniform(0, 5) * DAY : asOf - dr.logNormal(12, 0.8) * DAY),
      winProbability,
    });
    for (const c of colleagues) {
      if (won) {
        wonBefore.add(c.index);
        c.lifecycleStage = 'customer';
      } else if (!closed && c.lifecycleStage !== 'customer') c.lifecycleStage = 'opportunity';
    }
  }
  for (const c of contacts) if (c.lifecycleStage === 'lead' && c.emailOpens < 3) c.lifecycleStage = 'subscriber';

  return {
    seed: options.seed,
    asOf: new Date(asOf).toISOString(),
    owners,
    products,
    companies,
    contacts,
    deals,
    truth: {
      segments: SEGMENT_KEYS.map((key) => ({
        key,
        name: SEGMENTS[key].name,
        size: contacts.filter((c) => c.segment === key).length,
      })),
      winDrivers: [
        { driver: 'owner_win_rate', effect: WIN_EFFECTS.ownerSkill },
        { driver: 'activity_count', effect: WIN_EFFECTS.activity },
        { driver: 'contact_segment', effect: WIN_EFFECTS.segment },
        { driver: 'amount', effect: WIN_EFFECTS.amount },
      ],
      seasonality: SEASONALITY,
      monthlyTrend: MONTHLY_TREND,
      bundles: BUNDLES.map((b) => ({ a: b.a, b: b.b, probability: b.p })),
      duplicates,
    },
  };
}

function makeOwners(rng: Rng, n: number): WorldOwner[] {
  return Array.from({ length: n }, (_, index) => {
    const firstName = rng.pick(FIRST_NAMES);
    const lastName = rng.pick(LAST_NAMES);
    return {
      index,
      firstName,
      lastName,
      email: `${firstName}.${lastName}.${index}@seller.example.com`.toLowerCase(),
      skill: rng.normal(0, 1),
    };
  });
}

function makeCompanies(
  rng: Rng,
  n: number,
  owners: number,
  createdMonthsAgo: (m: number, r: Rng) => string,
): WorldCompany[] {
  const seen = new Map<string, number>();
  return Array.from({ length: n }, (_, index) => {
    const base = `${rng.pick(COMPANY_WORDS)} ${rng.pick(COMPANY_SUFFIXES)}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    const name = count === 1 ? base : `${base} ${count}`;
    const employees = Math.max(2, Math.round(rng.logNormal(80, 1.2)));
    return {
      index,
      name,
      domain: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.example.com`,
      industry: rng.pick(INDUSTRIES),
      employees,
      annualRevenue: Math.round(employees * rng.logNormal(150_000, 0.4)),
      country: rng.pick(COUNTRIES),
      city: rng.pick(['Springfield', 'Riverton', 'Lakeside', 'Hillcrest', 'Brookfield', 'Fairview']),
      ownerIndex: rng.int(0, owners - 1),
      createdAt: createdMonthsAgo(rng.uniform(30, 48), rng),
    };
  });
}

/**
 * Each deal's close month, as months before asOf (negative: expected after it), in shuffled order: month m gets
 * deals in proportion to seasonality(calendar month) × (1 + trend · months since the start), by largest remainder.
 */
function allocateCloseMonths(deals: number, asOfMonth: number): number[] {
  const months = Array.from({ length: MONTHS + FUTURE_MONTHS }, (_, i) => MONTHS - 1 - i); // oldest first
  const calendarMonth = (monthsBefore: number) => (((asOfMonth - 1 - monthsBefore) % 12) + 12) % 12;
  const weights = months.map((m, i) => SEASONALITY[calendarMonth(m)]! * (1 + MONTHLY_TREND * i));
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / total) * deals);
  const counts = exact.map(Math.floor);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  const remainder = deals - counts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < remainder; k++) counts[order[k]![1]]! += 1;
  const out: number[] = [];
  months.forEach((m, i) => {
    for (let k = 0; k < counts[i]!; k++) out.push(m);
  });
  // Interleave months so deal ids are not sorted by time (a CRM's ids are not).
  return out
    .map((m, i) => [m, (i * 2654435761) % 4294967296] as const)
    .sort((a, b) => a[1] - b[1])
    .map(([m]) => m);
}

/** A platform tier by company size, a few add-ons, and the planted bundles. */
function makeLineItems(rng: Rng, employees: number): WorldDeal['lineItems'] {
  const bySku = new Map(CATALOGUE.map((p, i) => [p.sku as string, i]));
  const tier = employees > 400 ? 'CORE-E' : employees > 60 ? 'CORE-P' : 'CORE-S';
  const chosen = new Set<number>([bySku.get(tier)!]);
  const addOns = rng.int(0, 3);
  for (let k = 0; k < addOns; k++) chosen.add(rng.int(3, CATALOGUE.length - 1));
  for (const bundle of BUNDLES) {
    if (chosen.has(bySku.get(bundle.a)!) && rng.chance(bundle.p)) chosen.add(bySku.get(bundle.b)!);
  }
  return [...chosen].map((productIndex) => {
    const product = CATALOGUE[productIndex]!;
    const quantity = product.category === 'platform' ? 1 : rng.int(1, 5);
    return {
      productIndex,
      quantity,
      unitPrice: product.price,
      discount: rng.chance(0.3) ? Math.round(rng.uniform(0.05, 0.2) * 100) / 100 : 0,
    };
  });
}
