import { floor, round } from '../lib/math.js';

/** A period label read as a date: its day number (days since 1970-01-01, UTC) and, when the label says so, its frequency. */
export interface ParsedPeriod {
  day: number;
  /** Set when the label itself names the frequency (a quarter such as 2021-Q3, a bare year). */
  frequency?: 'quarterly' | 'yearly';
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const FULL_MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

function dayOf(year: number, month: number, date = 1): number | null {
  if (!(month >= 1 && month <= 12 && date >= 1 && date <= 31)) return null;
  const t = Date.UTC(year, month - 1, date);
  const d = new Date(t);
  return d.getUTCMonth() === month - 1 && d.getUTCDate() === date ? t / 86_400_000 : null;
}

/**
 * Reads a period label as a date: `2021-03-15` (and `2021/03/15`, with or without a time), `2021-03` / `2021/03`,
 * quarters `2021-Q3` / `2021 Q3` / `2021Q3` / `Q3 2021`, months `Mar 2021` / `2021 Mar` / `March 2021`, and a bare
 * year `2021` (only when `years` is set: a column of plain numbers is otherwise an index). Anything else: null.
 */
export function parsePeriod(label: string, years = false): ParsedPeriod | null {
  const s = label.trim();
  let m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
  if (m) {
    const day = dayOf(Number(m[1]), Number(m[2]), Number(m[3]));
    return day === null ? null : { day };
  }
  m = /^(\d{4})[-/](\d{1,2})$/.exec(s);
  if (m) {
    const day = dayOf(Number(m[1]), Number(m[2]));
    return day === null ? null : { day };
  }
  const q = /^(\d{4})[- ]?[Qq]([1-4])$/.exec(s) ?? /^[Qq]([1-4])[- ](\d{4})$/.exec(s);
  if (q) {
    const [year, quarter] = q[0].toUpperCase().startsWith('Q') ? [q[2], q[1]] : [q[1], q[2]];
    return { day: dayOf(Number(year), 3 * (Number(quarter) - 1) + 1)!, frequency: 'quarterly' };
  }
  const named = /^([A-Za-z]{3,9})\.? (\d{4})$/.exec(s) ?? /^(\d{4}) ([A-Za-z]{3,9})\.?$/.exec(s);
  if (named) {
    const [word, year] = /^\d/.test(named[1]!) ? [named[2]!, named[1]!] : [named[1]!, named[2]!];
    const w = word.toLowerCase();
    const month = MONTHS.findIndex((short, i) => w === short || w === FULL_MONTHS[i] || (i === 8 && w === 'sept'));
    return month >= 0 ? { day: dayOf(Number(year), month + 1)! } : null;
  }
  if (years && /^\d{4}$/.test(s)) return { day: dayOf(Number(s), 1)!, frequency: 'yearly' };
  return null;
}

export interface SeasonInference {
  /** Season length for the forecasts: 7 daily, 52 weekly, 12 monthly, 4 quarterly, 1 yearly or unknown spacing. */
  season: number;
  /** Whether every period of every series is a date (so the series are ordered as dates). */
  dated: boolean;
  /** One line saying what was inferred and from what. */
  reason: string;
}

const FREQUENCIES: Array<{ name: string; days: [number, number]; season: number }> = [
  { name: 'daily', days: [0.5, 1.5], season: 7 },
  { name: 'weekly', days: [6, 8], season: 52 },
  { name: 'monthly', days: [27, 32], season: 12 },
  { name: 'quarterly', days: [88, 93], season: 4 },
  { name: 'yearly', days: [364, 367], season: 1 },
];

/** Whether a column of period labels is all four-digit years (1800–2199), read as dates rather than an index. */
export function periodsAreYears(labels: string[]): boolean {
  return labels.length > 0 && labels.every((p) => /^\s*(1[89]|2[01])\d\d\s*$/.test(p));
}

/**
 * The season length implied by the spacing of dated periods: the median gap between consecutive dates of each
 * series, then the median over series, named daily / weekly / monthly / quarterly / yearly. Periods that are not
 * all dates (e.g. 1, 2, 3 …) say nothing about the frequency: then `fallback` (12) is used and the reason says so.
 */
export function inferSeason(seriesPeriods: string[][], fallback = 12): SeasonInference {
  const years = periodsAreYears(seriesPeriods.flat());
  const parsed = seriesPeriods.map((list) => list.map((p) => parsePeriod(p, years)));
  const dated = parsed.length > 0 && parsed.every((list) => list.every((p) => p !== null));
  if (!dated) {
    return {
      season: fallback,
      dated: false,
      reason: `season ${fallback} assumed: the periods are not dates, so their frequency is unknown (set --season: 12 monthly, 4 quarterly, 1 none)`,
    };
  }
  const gaps: number[] = [];
  for (const list of parsed) {
    const days = list.map((p) => p!.day).sort((a, b) => a - b);
    const own: number[] = [];
    for (let i = 1; i < days.length; i++) own.push(days[i]! - days[i - 1]!);
    if (own.length > 0) gaps.push(median(own));
  }
  const labelled = parsed[0]?.[0]?.frequency;
  const gap = gaps.length > 0 ? median(gaps) : Number.NaN;
  const found = FREQUENCIES.find((f) => gap >= f.days[0] && gap <= f.days[1]);
  if (!found) {
    return {
      season: 1,
      dated: true,
      reason: `season 1 (none) assumed: dated periods ${Number.isFinite(gap) ? `about ${round(gap)} days apart` : 'with one point per series'}, not daily, weekly, monthly, quarterly or yearly (set --season)`,
    };
  }
  return {
    season: found.season,
    dated: true,
    reason: `season ${found.season}: ${found.name} periods (${labelled === 'quarterly' ? 'quarters' : `median gap ${floor(gap)} days`})`,
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
