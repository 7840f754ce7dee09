import type { Company, Contact, Deal, LineItem, Product } from '../../domain/records.js';
import { INF, isFiniteNumber, isNaNNumber, max } from '../lib/math.js';
import { quantile } from '../lib/stats.js';
import type { DataHealth, EngineInput, EngineSettings } from '../types.js';

/** A contact after cleaning, with its timestamps parsed. */
export interface CleanContact {
  record: Contact;
  companyId: string | null;
  createdAt: number;
  lastActivityAt: number | null;
  emailOpens: number;
  pageViews: number;
}

export interface CleanDeal {
  record: Deal;
  /** In the base currency; null when neither the deal nor its line items give one. */
  amount: number | null;
  amountImputed: boolean;
  pipeline: string;
  createdAt: number;
  closeAt: number | null;
  lastActivityAt: number | null;
  activityCount: number;
  /** Associated contact ids (after dedupe), primary first as the CRM gave them. */
  contactIds: string[];
  /** The same contacts' indexes in CleanData.contacts. */
  contactIndexes: number[];
  companyId: string | null;
  history: Array<{ stage: string; at: number }>;
  products: string[];
}

export interface CleanData {
  contacts: CleanContact[];
  contactIndex: Map<string, number>;
  companies: Company[];
  deals: CleanDeal[];
  products: Map<string, Product>;
  /** Per contact index: indexes of its deals (compressed rows: `dealsOf` reads them). */
  dealsOfContact: Adjacency;
  health: DataHealth;
  /** The currency every amount is in (the run settings' `currency`), for the words reasons use. */
  currency?: string;
  /** The CRM's label of each stage id, for the words reasons use. */
  stageLabels?: Record<string, string>;
}

/** Lists of indexes per row in two typed arrays: row i's items are items[offsets[i]] .. items[offsets[i + 1] − 1]. */
export interface Adjacency {
  offsets: Int32Array;
  items: Int32Array;
}

/** The deal indexes of contact `i`. */
export function dealsOf(data: CleanData, i: number): Int32Array {
  const { offsets, items } = data.dealsOfContact;
  return items.subarray(offsets[i]!, offsets[i + 1]!);
}

const POLICY = [
  'Archived and merged records are left out (merged ones live on in the surviving record).',
  'Contacts are deduplicated by normalised email, then by normalised first + last name within a company; the oldest record survives and takes missing fields, the highest engagement counts and the latest activity of its duplicates.',
  'Companies are deduplicated by normalised domain; the oldest survives.',
  'Numbers that are not finite (NaN, ±Infinity) or negative where a count or amount is expected are treated as missing and counted.',
  'Missing email opens / page views are filled with 0 and counted (a CRM that does not track them reports none).',
  'A deal without an amount takes the sum of its line items; without line items, the median amount of won deals in its pipeline, flagged as imputed.',
  'Amounts in another currency are converted with the run settings’ exchange rates; a currency without a rate is kept unconverted and counted.',
  'Associations to records that do not exist (or were removed) are dropped and counted.',
  'Extreme feature values are capped at the 0.5th / 99.5th percentile before modelling, counted per feature: segment features over all contacts (segments.*_capped), deal magnitudes at the closed deals’ percentiles (win_model.*_capped), contact-model features at its training rows’ percentiles (contact_model_training.*, contact_model_scoring.*). Stated values (reasons, segment profiles, revenue, forecasts) stay uncapped.',
  'The contact model learns from contacts as they were one conversion window ago, from features with a history (deals and creation date) only; current-only engagement (email opens, page views, last activity) is left out of it because its value today includes what happened after that date.',
];

const day = 86_400_000;

/** Oldest first, then by id (plain code-unit comparison: fast, and the same on every machine). */
function byCreatedThenId(
  a: { createdAt: string | null; id: string },
  b: { createdAt: string | null; id: string },
): number {
  const ca = a.createdAt ?? '';
  const cb = b.createdAt ?? '';
  if (ca !== cb) return ca < cb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function parseTime(value: string | null, bad: () => void): number | null {
  if (value === null || value === '') return null;
  const t = Date.parse(value);
  if (isNaNNumber(t)) {
    bad();
    return null;
  }
  return t;
}

export function normaliseEmail(email: string | null): string | null {
  const e = email?.trim().toLowerCase();
  return e?.includes('@') ? e : null;
}

export function normaliseName(...parts: Array<string | null>): string | null {
  const s = parts
    .map((p) => (p ?? '').normalize('NFKD').replace(/[\u0300-\u036f]/g, ''))
    .join(' ')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
  return s === '' ? null : s;
}

export function normaliseDomain(domain: string | null): string | null {
  const d = domain
    ?.trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/^www\./, '')
    .replace(/[/?#].*$/, '');
  return d?.includes('.') ? d : null;
}

function finiteCount(v: number | null, bad: () => void): number | null {
  if (v === null) return null;
  if (!isFiniteNumber(v) || v < 0) {
    bad();
    return null;
  }
  return v;
}

/** The median won amount per pipeline and overall (null: no won deal with an amount) that missing amounts take. */
export interface AmountMedians {
  byPipeline: Record<string, number>;
  all: number | null;
}

/** The medians a clean run filled missing amounts with: from won deals whose amount was not itself filled. */
export function wonAmountMedians(deals: readonly CleanDeal[]): AmountMedians {
  const wonBy = new Map<string, number[]>();
  const all: number[] = [];
  for (const d of deals) {
    if (d.record.isWon && d.amount !== null && !d.amountImputed) {
      const list = wonBy.get(d.pipeline) ?? [];
      list.push(d.amount);
      wonBy.set(d.pipeline, list);
      all.push(d.amount);
    }
  }
  const byPipeline: Record<string, number> = {};
  for (const [pipeline, list] of wonBy) byPipeline[pipeline] = quantile(list, 0.5);
  return { byPipeline, all: all.length > 0 ? quantile(all, 0.5) : null };
}

/**
 * Cleans the tenant's records; counts every fix in the data-health report. Pure and linear in the input.
 * `medians`: what missing amounts take (a stored model's, when cleaning a few records); else learned from `input`.
 */
export function cleanRecords(
  input: EngineInput,
  settings: EngineSettings,
  now: number,
  medians?: AmountMedians,
): CleanData {
  const fixes: Record<string, number> = {};
  const warnings: string[] = [];
  const count = (key: string, n = 1) => {
    fixes[key] = (fixes[key] ?? 0) + n;
  };

  // Companies: drop archived/merged, dedupe by domain (oldest survives).
  const companyAlias = new Map<string, string>();
  const companies: Company[] = [];
  const byDomain = new Map<string, Company>();
  const liveCompanies = input.companies
    .filter((c) => {
      if (c.archived || c.mergedInto) {
        count('companies.archived_or_merged_left_out');
        if (c.mergedInto) companyAlias.set(c.id, c.mergedInto);
        return false;
      }
      return true;
    })
    .sort(byCreatedThenId);
  for (const c of liveCompanies) {
    const domain = normaliseDomain(c.domain);
    const survivor = domain ? byDomain.get(domain) : undefined;
    if (survivor) {
      companyAlias.set(c.id, survivor.id);
      count('companies.duplicates_merged');
      continue;
    }
    const employees = finiteCount(c.employees, () => count('companies.invalid_number_cleared'));
    const revenue = finiteCount(c.annualRevenue, () => count('companies.invalid_number_cleared'));
    const clean = { ...c, employees, annualRevenue: revenue };
    if (domain) byDomain.set(domain, clean);
    companies.push(clean);
  }
  const companyIds = new Set(companies.map((c) => c.id));
  const resolveCompany = (id: string | null): string | null => {
    let cur = id;
    for (let hops = 0; cur !== null && hops < 5 && !companyIds.has(cur); hops++) cur = companyAlias.get(cur) ?? null;
    return cur !== null && companyIds.has(cur) ? cur : null;
  };

  // Contacts: drop archived/merged, dedupe by email then by name within company.
  const contactAlias = new Map<string, string>();
  // Oldest first (creation time parsed once; missing or unparsable first), then by id.
  const liveIndexes: number[] = [];
  const createdOf = new Float64Array(input.contacts.length);
  input.contacts.forEach((c, i) => {
    if (c.archived || c.mergedInto) {
      count('contacts.archived_or_merged_left_out');
      if (c.mergedInto) contactAlias.set(c.id, c.mergedInto);
      return;
    }
    createdOf[i] = c.createdAt === null || c.createdAt === '' ? INF : Date.parse(c.createdAt);
    liveIndexes.push(i);
  });
  // Before any real date (Date's range starts at −8.64e15 ms).
  const NO_DATE = -8.7e15;
  const sortKey = Float64Array.from(createdOf, (t) => (t === INF || isNaNNumber(t) ? NO_DATE : t));
  const live = Int32Array.from(liveIndexes).sort((a, b) => {
    const d = sortKey[a]! - sortKey[b]!;
    if (d !== 0) return d;
    const ia = input.contacts[a]!.id;
    const ib = input.contacts[b]!.id;
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  });
  const contacts: CleanContact[] = [];
  const contactIndex = new Map<string, number>();
  const byEmail = new Map<string, number>();
  const byName = new Map<string, number>();
  for (const liveIndex of live) {
    const c = input.contacts[liveIndex]!;
    const email = normaliseEmail(c.email);
    const companyId = resolveCompany(c.companyId);
    if (c.companyId && !companyId) count('contacts.unknown_company_cleared');
    const name = normaliseName(c.firstName, c.lastName);
    const nameKey = name && companyId ? `${companyId}|${name}` : null;
    const dup = (email ? byEmail.get(email) : undefined) ?? (nameKey ? byName.get(nameKey) : undefined);
    const opens = finiteCount(c.emailOpens, () => count('contacts.invalid_number_cleared'));
    const views = finiteCount(c.pageViews, () => count('contacts.invalid_number_cleared'));
    const activity = parseTime(c.lastActivityAt, () => count('contacts.invalid_date_cleared'));
    if (dup !== undefined) {
      const s = contacts[dup]!;
      contactAlias.set(c.id, s.record.id);
      count(
        email && byEmail.get(email) === dup
          ? 'contacts.duplicates_merged_by_email'
          : 'contacts.duplicates_merged_by_name',
      );
      s.emailOpens = max(s.emailOpens, opens ?? 0);
      s.pageViews = max(s.pageViews, views ?? 0);
      if (activity !== null && (s.lastActivityAt === null || activity > s.lastActivityAt)) s.lastActivityAt = activity;
      const r = s.record;
      s.record = {
        ...r,
        jobTitle: r.jobTitle ?? c.jobTitle,
        country: r.country ?? c.country,
        lifecycleStage: r.lifecycleStage ?? c.lifecycleStage,
        ownerId: r.ownerId ?? c.ownerId,
      };
      if (email) byEmail.set(email, dup);
      continue;
    }
    if (opens === null) count('contacts.email_opens_missing_filled_0');
    if (views === null) count('contacts.page_views_missing_filled_0');
    let created: number | null = createdOf[liveIndex]!;
    if (created === INF) created = null;
    else if (isNaNNumber(created)) {
      count('contacts.invalid_date_cleared');
      created = null;
    }
    if (created === null) {
      count('contacts.created_at_missing_set_to_now');
      created = now;
    }
    const index = contacts.length;
    contacts.push({
      record: c,
      companyId,
      createdAt: created,
      lastActivityAt: activity,
      emailOpens: opens ?? 0,
      pageViews: views ?? 0,
    });
    contactIndex.set(c.id, index);
    if (email) byEmail.set(email, index);
    if (nameKey) byName.set(nameKey, index);
  }
  const resolveContact = (id: string): number | undefined => {
    let cur: string | undefined = id;
    for (let hops = 0; cur !== undefined && hops < 5; hops++) {
      const i = contactIndex.get(cur);
      if (i !== undefined) return i;
      cur = contactAlias.get(cur);
    }
    return undefined;
  };

  // Products and line items.
  const products = new Map(input.products.filter((p) => !p.archived).map((p) => [p.id, p]));
  const itemsOfDeal = new Map<string, LineItem[]>();
  for (const li of input.lineItems) {
    if (li.archived || li.mergedInto || !li.dealId) {
      count('line_items.archived_or_unlinked_left_out');
      continue;
    }
    const list = itemsOfDeal.get(li.dealId) ?? [];
    list.push(li);
    itemsOfDeal.set(li.dealId, list);
  }

  // Associations: deal → contact and deal → company (either direction), deduplicated and resolved.
  const dealIds = new Set(input.deals.filter((d) => !d.archived && !d.mergedInto).map((d) => d.id));
  const contactsOfDeal = new Map<string, number[]>();
  const companyOfDeal = new Map<string, string>();
  for (const a of input.associations) {
    let dealId: string | null = null;
    let otherType: string | null = null;
    let otherId = '';
    if (a.fromType === 'deal') {
      dealId = a.fromId;
      otherType = a.toType;
      otherId = a.toId;
    } else if (a.toType === 'deal') {
      dealId = a.toId;
      otherType = a.fromType;
      otherId = a.fromId;
    } else if (a.fromType === 'contact' && a.toType === 'company') {
      const ci = resolveContact(a.fromId);
      const co = resolveCompany(a.toId);
      if (ci === undefined || co === null) count('associations.orphan_dropped');
      else if (contacts[ci]!.companyId === null) contacts[ci]!.companyId = co;
      continue;
    } else continue;
    if (!dealIds.has(dealId)) {
      count('associations.orphan_dropped');
      continue;
    }
    if (otherType === 'contact') {
      const ci = resolveContact(otherId);
      if (ci === undefined) {
        count('associations.orphan_dropped');
        continue;
      }
      const list = contactsOfDeal.get(dealId) ?? [];
      if (!list.includes(ci)) list.push(ci);
      contactsOfDeal.set(dealId, list);
    } else if (otherType === 'company') {
      const co = resolveCompany(otherId);
      if (co === null) count('associations.orphan_dropped');
      else if (!companyOfDeal.has(dealId)) companyOfDeal.set(dealId, co);
    }
  }

  // Stage history per deal, in time order.
  const historyOf = new Map<string, Array<{ stage: string; at: number }>>();
  for (const ch of input.stageChanges) {
    const at = parseTime(ch.enteredAt, () => count('stage_history.invalid_date_dropped'));
    if (at === null) continue;
    const list = historyOf.get(ch.dealId) ?? [];
    list.push({ stage: ch.stage, at });
    historyOf.set(ch.dealId, list);
  }

  // Deals.
  const deals: CleanDeal[] = [];
  const pending: CleanDeal[] = [];
  const unknownCurrencies = new Set<string>();
  for (const d of input.deals) {
    if (d.archived || d.mergedInto) {
      count('deals.archived_or_merged_left_out');
      continue;
    }
    const items = itemsOfDeal.get(d.id) ?? [];
    let amount = d.amount;
    if (amount !== null && (!isFiniteNumber(amount) || amount < 0)) {
      count('deals.invalid_amount_cleared');
      amount = null;
    }
    const imputed = false;
    if (amount === null && items.length > 0) {
      let sum = 0;
      let ok = false;
      for (const li of items) {
        const v = li.amount ?? (li.quantity !== null && li.unitPrice !== null ? li.quantity * li.unitPrice : null);
        if (v !== null && isFiniteNumber(v) && v >= 0) {
          sum += v;
          ok = true;
        }
      }
      if (ok) {
        amount = sum;
        count('deals.amount_missing_filled_from_line_items');
      }
    }
    const currency = d.currency?.trim().toUpperCase() || settings.currency;
    if (amount !== null && currency !== settings.currency) {
      const rate = settings.exchangeRates[currency];
      if (rate !== undefined && isFiniteNumber(rate) && rate > 0) {
        amount *= rate;
        count('deals.amount_converted_currency');
      } else {
        unknownCurrencies.add(currency);
        count('deals.amount_currency_without_rate');
      }
    }
    let created = parseTime(d.createdAt, () => count('deals.invalid_date_cleared'));
    const closeAt = parseTime(d.closeDate, () => count('deals.invalid_date_cleared'));
    if (created === null) {
      count('deals.created_at_missing_set_to_close_or_now');
      created = closeAt !== null && d.isClosed ? closeAt : now;
    }
    if (d.isClosed && closeAt === null) count('deals.closed_without_close_date');
    const companyId = resolveCompany(d.companyId) ?? companyOfDeal.get(d.id) ?? null;
    const contactIdx = contactsOfDeal.get(d.id) ?? [];
    const activity = finiteCount(d.activityCount, () => count('deals.invalid_number_cleared'));
    if (activity === null) count('deals.activity_count_missing_filled_0');
    const history = (historyOf.get(d.id) ?? []).sort((a, b) => a.at - b.at);
    const clean: CleanDeal = {
      record: d,
      amount,
      amountImputed: imputed,
      pipeline: d.pipeline ?? 'default',
      createdAt: created,
      closeAt,
      lastActivityAt: parseTime(d.lastActivityAt, () => count('deals.invalid_date_cleared')),
      activityCount: activity ?? 0,
      contactIds: contactIdx.map((i) => contacts[i]!.record.id),
      contactIndexes: contactIdx,
      companyId,
      history,
      products: items.map((li) => li.productId).filter((p): p is string => p !== null && products.has(p)),
    };
    if (amount === null) pending.push(clean);
    deals.push(clean);
  }
  // Missing amounts: the median won amount of the pipeline (or of all won deals).
  if (pending.length > 0) {
    const known = medians ?? wonAmountMedians(deals);
    for (const d of pending) {
      const median = Object.hasOwn(known.byPipeline, d.pipeline) ? known.byPipeline[d.pipeline]! : known.all;
      if (median === null) {
        count('deals.amount_missing_left_missing');
        continue;
      }
      d.amount = median;
      d.amountImputed = true;
      count('deals.amount_missing_filled_median');
    }
  }
  if (unknownCurrencies.size > 0) {
    warnings.push(
      `no exchange rate for ${[...unknownCurrencies].sort().join(', ')}: those amounts are used unconverted`,
    );
  }
  const offsets = new Int32Array(contacts.length + 1);
  for (const d of deals) for (const i of d.contactIndexes) offsets[i + 1]! += 1;
  for (let i = 0; i < contacts.length; i++) offsets[i + 1]! += offsets[i]!;
  const items = new Int32Array(offsets[contacts.length]!);
  const fill = offsets.slice(0, contacts.length);
  deals.forEach((d, k) => {
    for (const i of d.contactIndexes) items[fill[i]!++] = k;
  });
  const dealsOfContact = { offsets, items };
  if (contacts.length === 0) warnings.push('no contacts: segments and contact scores are skipped');
  if (deals.length === 0) warnings.push('no deals: forecasts, win scores and cross-sell are skipped');
  const stale = deals.filter((d) => !d.record.isClosed && d.closeAt !== null && d.closeAt < now - 30 * day).length;
  if (stale > 0) warnings.push(`${stale} open deals have a close date more than 30 days past`);

  return {
    contacts,
    contactIndex,
    companies,
    deals,
    products,
    dealsOfContact,
    currency: settings.currency,
    stageLabels: settings.stageLabels ?? {},
    health: {
      input: {
        contacts: input.contacts.length,
        companies: input.companies.length,
        deals: input.deals.length,
        lineItems: input.lineItems.length,
        products: input.products.length,
        associations: input.associations.length,
        stageChanges: input.stageChanges.length,
      },
      kept: { contacts: contacts.length, companies: companies.length, deals: deals.length },
      fixes,
      policy: POLICY,
      warnings,
    },
  };
}
