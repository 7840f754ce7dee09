import type { Association, Deal } from '../../domain/records.js';
import { abs, sqrt } from '../lib/math.js';
import type { ActionType } from '../types.js';

const DAY = 86_400_000;
/** Two-sided 95 %. */
const Z95 = 1.959964;

/** A record given (treated) or, in the control group, denied (holdout) an action, first on `at`. */
export interface Exposure {
  objectType: 'deal' | 'contact';
  recordId: string;
  action: ActionType;
  segmentKey: string | null;
  /** ISO time the action was first planned for the record. */
  at: string;
}

export interface LiftSettings {
  /** Exposures first planned this many days back or less are measured (older ones are left out). */
  windowDays: number;
  /** Fewest records in EACH group before a difference is reported. */
  minGroup: number;
}

export interface GroupRate {
  records: number;
  /** Records with the outcome (deal won; contact bought) after their exposure. */
  successes: number;
  rate: number | null;
}

/** Treated vs holdout for one object type, action ('all' = any) and segment (null = all segments). */
export interface LiftCell {
  objectType: 'deal' | 'contact';
  action: ActionType | 'all';
  segmentKey: string | null;
  treated: GroupRate;
  holdout: GroupRate;
  /** Treated rate minus holdout rate (0.05 = 5 points), with its 95 % interval (Newcombe's hybrid score). */
  lift: number | null;
  low: number | null;
  high: number | null;
  status: 'ok' | 'not-enough-data';
  /** Plain words: the figure, or "not enough data yet (N treated, M holdout; need ≥ K)". */
  message: string;
}

/** How many of the records given an action this run were held out, per stratum, against the share set. */
export interface BalanceRow {
  objectType: 'deal' | 'contact';
  segmentKey: string | null;
  records: number;
  heldOut: number;
  share: number;
  /** (share − holdout share) in standard errors; |z| ≥ 3 is flagged as unbalanced. */
  z: number | null;
  balanced: boolean;
}

export interface LiftResult {
  asOf: string;
  holdoutShare: number;
  windowDays: number;
  minGroup: number;
  status: 'ok' | 'no-holdout' | 'not-enough-data';
  message: string;
  /** Overall cells (action 'all', then each action; all segments) first, then per segment. */
  cells: LiftCell[];
  balance: BalanceRow[];
}

export interface LiftInput {
  treated: readonly Exposure[];
  holdout: readonly Exposure[];
  deals: readonly Deal[];
  associations: readonly Association[];
  /** This run's decisions, to check the groups' balance. */
  decided: ReadonlyArray<{ objectType: 'deal' | 'contact'; segmentKey: string | null; heldOut: boolean }>;
  holdoutShare: number;
  settings: LiftSettings;
  now: number;
}

/**
 * Lift of crm-agent's actions, measured against the control group: for each object type, action and segment,
 * the share of treated records (an action was planned for them) whose outcome followed — a deal won, a contact
 * bought (a won deal of theirs closed) — minus the same share among holdout records (the same action would have
 * been planned, but the record is in the control group), with a 95 % interval on the difference and the counts
 * behind it. Intention to treat: a planned action counts whether or not the rep did it. Both groups are drawn by
 * a hash of the record, independent of time, so their exposures spread alike over the window. A cell with fewer
 * than `minGroup` records in either group reports "not enough data yet" with the counts, never a figure. Pure.
 */
export function measureLift(input: LiftInput): LiftResult {
  const { settings, now } = input;
  const base = {
    asOf: new Date(now).toISOString(),
    holdoutShare: input.holdoutShare,
    windowDays: settings.windowDays,
    minGroup: settings.minGroup,
    balance: balanceOf(input.decided, input.holdoutShare),
  };
  const since = now - settings.windowDays * DAY;
  const treated = firstExposures(input.treated, since, now);
  const holdout = firstExposures(input.holdout, since, now);
  // A record in both groups (the share changed, so it moved) is measured in neither.
  const both = new Set<string>();
  const recordsOf = (list: Map<string, Exposure>) => new Set([...list.values()].map(recordKey));
  const treatedRecords = recordsOf(treated);
  for (const key of recordsOf(holdout)) if (treatedRecords.has(key)) both.add(key);
  const outcome = outcomeReader(input.deals, input.associations, now);

  const cells = new Map<string, { cell: LiftCell; seen: Set<string> }>();
  const add = (e: Exposure, group: 'treated' | 'holdout') => {
    const rk = recordKey(e);
    if (both.has(rk)) return;
    const success = outcome(e);
    for (const [action, segmentKey] of [
      ['all', null],
      [e.action, null],
      ['all', e.segmentKey],
      [e.action, e.segmentKey],
    ] as const) {
      // A record without a segment counts in the all-segments cells only (the same key: counted once).
      const key = `${e.objectType}\u0000${action}\u0000${segmentKey ?? ''}`;
      let entry = cells.get(key);
      if (!entry) {
        entry = { cell: emptyCell(e.objectType, action, segmentKey), seen: new Set() };
        cells.set(key, entry);
      }
      // In an 'all actions' cell a record counts once (at its first exposure).
      const seenKey = `${group}\u0000${rk}`;
      if (entry.seen.has(seenKey)) continue;
      entry.seen.add(seenKey);
      const g = entry.cell[group];
      g.records++;
      if (success) g.successes++;
    }
  };
  const byTime = (list: Map<string, Exposure>) => [...list.values()].sort((a, b) => a.at.localeCompare(b.at));
  for (const e of byTime(treated)) add(e, 'treated');
  for (const e of byTime(holdout)) add(e, 'holdout');

  const out = [...cells.values()].map(({ cell }) => finish(cell, settings.minGroup));
  out.sort(
    (a, b) =>
      Number(a.segmentKey !== null) - Number(b.segmentKey !== null) ||
      a.objectType.localeCompare(b.objectType) ||
      Number(a.action !== 'all') - Number(b.action !== 'all') ||
      a.action.localeCompare(b.action) ||
      (a.segmentKey ?? '').localeCompare(b.segmentKey ?? ''),
  );
  if (input.holdoutShare <= 0 && holdout.size === 0)
    return {
      ...base,
      status: 'no-holdout',
      message: 'The holdout share is 0: no control group, so the lift of the actions cannot be measured.',
      cells: out,
    };
  const measured = out.filter((c) => c.status === 'ok');
  if (measured.length === 0) {
    const overall = out.filter((c) => c.action === 'all' && c.segmentKey === null);
    const counts = overall.length
      ? overall.map((c) => `${c.objectType}s: ${c.treated.records} treated, ${c.holdout.records} holdout`).join('; ')
      : '0 treated, 0 holdout';
    return {
      ...base,
      status: 'not-enough-data',
      message: `Not enough data yet (${counts}; need ≥ ${settings.minGroup} in each group).`,
      cells: out,
    };
  }
  return { ...base, status: 'ok', message: `${measured.length} of ${out.length} figures measured.`, cells: out };
}

/** Wilson score interval of a proportion (95 %). */
export function wilson(successes: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 * sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Newcombe's hybrid score interval (his method 10) of p1 − p2, from the two Wilson intervals. */
export function newcombe(s1: number, n1: number, s2: number, n2: number): { diff: number; low: number; high: number } {
  const p1 = s1 / n1;
  const p2 = s2 / n2;
  const [l1, u1] = wilson(s1, n1);
  const [l2, u2] = wilson(s2, n2);
  const diff = p1 - p2;
  return {
    diff,
    low: diff - sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
    high: diff + sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
  };
}

function finish(cell: LiftCell, minGroup: number): LiftCell {
  for (const g of [cell.treated, cell.holdout]) g.rate = g.records > 0 ? g.successes / g.records : null;
  const { treated: t, holdout: h } = cell;
  if (t.records < minGroup || h.records < minGroup) {
    cell.message = `not enough data yet (${t.records} treated, ${h.records} holdout; need ≥ ${minGroup} each)`;
    return cell;
  }
  const { diff, low, high } = newcombe(t.successes, t.records, h.successes, h.records);
  Object.assign(cell, { lift: diff, low, high, status: 'ok' });
  const pts = (v: number) => `${v >= 0 ? '+' : '−'}${abs(v * 100).toFixed(1)}`;
  cell.message = `${pts(diff)} pts (95 % interval ${pts(low)} to ${pts(high)}; ${t.records} treated, ${h.records} holdout)`;
  return cell;
}

function emptyCell(objectType: 'deal' | 'contact', action: ActionType | 'all', segmentKey: string | null): LiftCell {
  return {
    objectType,
    action,
    segmentKey,
    treated: { records: 0, successes: 0, rate: null },
    holdout: { records: 0, successes: 0, rate: null },
    lift: null,
    low: null,
    high: null,
    status: 'not-enough-data',
    message: '',
  };
}

const recordKey = (e: Pick<Exposure, 'objectType' | 'recordId'>) => `${e.objectType}\u0000${e.recordId}`;

/** The first exposure per (record, action) within the window; 'none' (no action) is not an exposure. */
function firstExposures(list: readonly Exposure[], since: number, now: number): Map<string, Exposure> {
  const out = new Map<string, Exposure>();
  for (const e of list) {
    if (e.action === 'none') continue;
    const t = Date.parse(e.at);
    if (!(t >= since && t <= now)) continue;
    const key = `${recordKey(e)}\u0000${e.action}`;
    const had = out.get(key);
    if (!had || e.at < had.at) out.set(key, e);
  }
  return out;
}

/** Whether an exposure's outcome followed it: its deal won, or a deal of its contact won, closing at or after it. */
function outcomeReader(deals: readonly Deal[], associations: readonly Association[], now: number) {
  const wonAt = new Map<string, number>();
  for (const d of deals) {
    if (!d.isClosed || !d.isWon) continue;
    const t = Date.parse(d.closeDate ?? d.updatedAt ?? '');
    if (Number.isFinite(t) && t <= now) wonAt.set(d.id, t);
  }
  const dealsOfContact = new Map<string, string[]>();
  for (const a of associations) {
    const [deal, contact] =
      a.fromType === 'deal' && a.toType === 'contact'
        ? [a.fromId, a.toId]
        : a.fromType === 'contact' && a.toType === 'deal'
          ? [a.toId, a.fromId]
          : [null, null];
    if (deal === null || contact === null || !wonAt.has(deal)) continue;
    const list = dealsOfContact.get(contact) ?? [];
    if (!list.includes(deal)) list.push(deal);
    dealsOfContact.set(contact, list);
  }
  return (e: Exposure): boolean => {
    // A close on the day of the exposure counts (close dates are often dates without a time).
    const from = Date.parse(e.at.slice(0, 10));
    const ids = e.objectType === 'deal' ? [e.recordId] : (dealsOfContact.get(e.recordId) ?? []);
    return ids.some((id) => (wonAt.get(id) ?? -1) >= from);
  };
}

function balanceOf(decided: LiftInput['decided'], share: number): BalanceRow[] {
  const rows = new Map<string, BalanceRow>();
  for (const d of decided) {
    const key = `${d.objectType}\u0000${d.segmentKey ?? ''}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        objectType: d.objectType,
        segmentKey: d.segmentKey,
        records: 0,
        heldOut: 0,
        share: 0,
        z: null,
        balanced: true,
      };
      rows.set(key, row);
    }
    row.records++;
    if (d.heldOut) row.heldOut++;
  }
  for (const row of rows.values()) {
    row.share = row.heldOut / row.records;
    const se = sqrt((share * (1 - share)) / row.records);
    row.z = se > 0 ? (row.share - share) / se : null;
    row.balanced = row.z === null || abs(row.z) < 3;
  }
  return [...rows.values()].sort(
    (a, b) => a.objectType.localeCompare(b.objectType) || (a.segmentKey ?? '').localeCompare(b.segmentKey ?? ''),
  );
}
