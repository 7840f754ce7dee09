import { rateLimited, searchRateLimited } from './errors.js';

export interface RateLimitSettings {
  /** `off` for fast unit tests: every request passes, no headers. */
  mode: 'real' | 'off';
  /** Per portal and app, rolling (HubSpot: 110 per 10 s for marketplace apps). */
  burst: { limit: number; windowMs: number };
  /** Per portal, for the CRM search API only (HubSpot: 5 per second). */
  search: { limit: number; windowMs: number };
  /** Per portal per UTC day, for static private-app tokens only (OAuth calls have no daily limit). */
  daily: number;
}

export const REAL_LIMITS: RateLimitSettings = {
  mode: 'real',
  burst: { limit: 110, windowMs: 10_000 },
  search: { limit: 5, windowMs: 1000 },
  daily: 1_000_000,
};

/** One request as it arrived, for the statistics tests read (accepted or refused). */
interface Arrival {
  at: number;
  accepted: boolean;
}

/**
 * HubSpot's rate limits, enforced on arrival: a rolling burst window per portal and app (with the
 * X-HubSpot-RateLimit-* headers), the search API's own per-second budget (no headers), and a daily limit for
 * private apps. Refused requests do not count against the window.
 */
export class RateLimits {
  private readonly burstTimes = new Map<string, number[]>();
  private readonly searchTimes = new Map<string, number[]>();
  private readonly dailyCounts = new Map<string, { day: string; count: number }>();
  private readonly arrivals = { burst: new Map<string, Arrival[]>(), search: new Map<string, Arrival[]>() };

  constructor(
    public settings: RateLimitSettings,
    private readonly now: () => number,
  ) {}

  /** Takes one request of the burst (and daily) budget; returns the headers to send or throws the 429. */
  takeBurst(key: string, options: { daily: boolean }): Record<string, string> {
    const now = this.now();
    const { burst } = this.settings;
    if (this.settings.mode === 'off') {
      this.record('burst', key, now, true);
      return {};
    }
    const times = slide(this.burstTimes, key, now - burst.windowMs);
    const headers: Record<string, string> = {
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(burst.windowMs),
      'X-HubSpot-RateLimit-Max': String(burst.limit),
    };
    const day = new Date(now).toISOString().slice(0, 10);
    const daily = this.dailyCounts.get(key);
    const usedToday = daily?.day === day ? daily.count : 0;
    if (options.daily) {
      headers['X-HubSpot-RateLimit-Daily'] = String(this.settings.daily);
      headers['X-HubSpot-RateLimit-Daily-Remaining'] = String(Math.max(0, this.settings.daily - usedToday));
      if (usedToday >= this.settings.daily) {
        this.record('burst', key, now, false);
        throw rateLimited('DAILY', headers);
      }
    }
    if (times.length >= burst.limit) {
      this.record('burst', key, now, false);
      throw rateLimited('TEN_SECONDLY_ROLLING', { ...headers, 'X-HubSpot-RateLimit-Remaining': '0' });
    }
    times.push(now);
    if (options.daily) {
      this.dailyCounts.set(key, { day, count: usedToday + 1 });
      headers['X-HubSpot-RateLimit-Daily-Remaining'] = String(Math.max(0, this.settings.daily - usedToday - 1));
    }
    headers['X-HubSpot-RateLimit-Remaining'] = String(burst.limit - times.length);
    this.record('burst', key, now, true);
    return headers;
  }

  /** Takes one request of the portal's search budget or throws the "secondly" 429 (no headers either way). */
  takeSearch(portalKey: string): void {
    const now = this.now();
    if (this.settings.mode === 'off') {
      this.record('search', portalKey, now, true);
      return;
    }
    const { search } = this.settings;
    const times = slide(this.searchTimes, portalKey, now - search.windowMs);
    if (times.length >= search.limit) {
      this.record('search', portalKey, now, false);
      throw searchRateLimited();
    }
    times.push(now);
    this.record('search', portalKey, now, true);
  }

  /** Requests per budget: accepted, refused (429), and the most that arrived in any one window. */
  stats(): Record<'burst' | 'search', { accepted: number; refused: number; maxArrivalsInWindow: number }> {
    const summarise = (kind: 'burst' | 'search', windowMs: number) => {
      let accepted = 0;
      let refused = 0;
      let maxArrivalsInWindow = 0;
      for (const list of this.arrivals[kind].values()) {
        let start = 0;
        for (let i = 0; i < list.length; i++) {
          if (list[i]!.accepted) accepted++;
          else refused++;
          while (list[start]!.at <= list[i]!.at - windowMs) start++;
          maxArrivalsInWindow = Math.max(maxArrivalsInWindow, i - start + 1);
        }
      }
      return { accepted, refused, maxArrivalsInWindow };
    };
    return {
      burst: summarise('burst', this.settings.burst.windowMs),
      search: summarise('search', this.settings.search.windowMs),
    };
  }

  /** Counts a request refused for another reason (an injected 429) in the statistics. */
  recordRefused(kind: 'burst' | 'search', key: string): void {
    this.record(kind, key, this.now(), false);
  }

  resetStats(): void {
    this.arrivals.burst.clear();
    this.arrivals.search.clear();
  }

  private record(kind: 'burst' | 'search', key: string, at: number, accepted: boolean): void {
    let list = this.arrivals[kind].get(key);
    if (!list) {
      list = [];
      this.arrivals[kind].set(key, list);
    }
    list.push({ at, accepted });
  }
}

/** The key's timestamps still inside the window (older ones dropped). */
function slide(map: Map<string, number[]>, key: string, cutoff: number): number[] {
  let times = map.get(key);
  if (!times) {
    times = [];
    map.set(key, times);
  }
  let k = 0;
  while (k < times.length && times[k]! <= cutoff) k++;
  if (k > 0) times.splice(0, k);
  return times;
}
