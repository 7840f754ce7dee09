/**
 * SOQL date keywords (TODAY, LAST_N_DAYS:30, THIS_QUARTER, …) as half-open ranges [start, end) of epoch
 * milliseconds, in the org's time zone (the sandbox org runs on GMT). Weeks start on Sunday (en_US locale).
 */
const DAY = 86_400_000;

function startOfDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

function monthStart(year: number, month: number): number {
  return Date.UTC(year, month, 1);
}

export function dateKeywordRange(name: string, n: number | undefined, now: number): [number, number] | undefined {
  const today = startOfDay(now);
  const d = new Date(today);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const weekStart = today - d.getUTCDay() * DAY;
  const quarter = Math.floor(month / 3) * 3;
  const count = n ?? 0;
  switch (name) {
    case 'TODAY':
      return [today, today + DAY];
    case 'YESTERDAY':
      return [today - DAY, today];
    case 'TOMORROW':
      return [today + DAY, today + 2 * DAY];
    case 'THIS_WEEK':
      return [weekStart, weekStart + 7 * DAY];
    case 'LAST_WEEK':
      return [weekStart - 7 * DAY, weekStart];
    case 'NEXT_WEEK':
      return [weekStart + 7 * DAY, weekStart + 14 * DAY];
    case 'THIS_MONTH':
      return [monthStart(year, month), monthStart(year, month + 1)];
    case 'LAST_MONTH':
      return [monthStart(year, month - 1), monthStart(year, month)];
    case 'NEXT_MONTH':
      return [monthStart(year, month + 1), monthStart(year, month + 2)];
    case 'THIS_QUARTER':
      return [monthStart(year, quarter), monthStart(year, quarter + 3)];
    case 'LAST_QUARTER':
      return [monthStart(year, quarter - 3), monthStart(year, quarter)];
    case 'NEXT_QUARTER':
      return [monthStart(year, quarter + 3), monthStart(year, quarter + 6)];
    case 'THIS_YEAR':
      return [Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1)];
    case 'LAST_YEAR':
      return [Date.UTC(year - 1, 0, 1), Date.UTC(year, 0, 1)];
    case 'NEXT_YEAR':
      return [Date.UTC(year + 1, 0, 1), Date.UTC(year + 2, 0, 1)];
    case 'LAST_90_DAYS':
      return [today - 90 * DAY, today + DAY];
    case 'NEXT_90_DAYS':
      return [today + DAY, today + 91 * DAY];
    case 'LAST_N_DAYS':
      return n === undefined ? undefined : [today - count * DAY, today + DAY];
    case 'NEXT_N_DAYS':
      return n === undefined ? undefined : [today + DAY, today + (count + 1) * DAY];
    case 'N_DAYS_AGO':
      return n === undefined ? undefined : [today - count * DAY, today - (count - 1) * DAY];
    case 'LAST_N_WEEKS':
      return n === undefined ? undefined : [weekStart - count * 7 * DAY, weekStart];
    case 'NEXT_N_WEEKS':
      return n === undefined ? undefined : [weekStart + 7 * DAY, weekStart + (count + 1) * 7 * DAY];
    case 'LAST_N_MONTHS':
      return n === undefined ? undefined : [monthStart(year, month - count), monthStart(year, month)];
    case 'NEXT_N_MONTHS':
      return n === undefined ? undefined : [monthStart(year, month + 1), monthStart(year, month + 1 + count)];
    case 'LAST_N_YEARS':
      return n === undefined ? undefined : [Date.UTC(year - count, 0, 1), Date.UTC(year, 0, 1)];
    case 'NEXT_N_YEARS':
      return n === undefined ? undefined : [Date.UTC(year + 1, 0, 1), Date.UTC(year + 1 + count, 0, 1)];
    default:
      return undefined;
  }
}
