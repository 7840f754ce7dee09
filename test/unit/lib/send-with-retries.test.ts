import { describe, expect, it } from '@jest/globals';
import { backoffCeiling, equalJitter, fullJitter, parseRetryAfter } from '../../../src/lib/http/backoff.js';
import { type HttpVerdict, sendWithRetries } from '../../../src/lib/http/send-with-retries.js';
import { FixedClock } from '../../helpers/fixed-clock.js';

/** A token provider that hands out token-1, token-2, … and records what was refused. */
function tokens() {
  let n = 1;
  const refused: string[] = [];
  return {
    refused,
    accessToken: async () => `token-${n}`,
    refreshAfterRejection: async (rejected: string) => {
      refused.push(rejected);
      n += 1;
      return `token-${n}`;
    },
  };
}

/** Runs the loop over a script of verdicts; records the token and refresh allowance each attempt saw. */
async function run(script: Array<HttpVerdict<string>>, options: { maxRefreshes?: number; signal?: AbortSignal } = {}) {
  const clock = new FixedClock(0);
  const provider = tokens();
  const seen: Array<{ token: string; canRefresh: boolean }> = [];
  const result = sendWithRetries<string>({
    tokens: provider,
    clock,
    maxRefreshes: options.maxRefreshes ?? 5,
    signal: options.signal,
    attempt: async (context) => {
      seen.push(context);
      const next = script.shift();
      if (!next) throw new Error('script ran out');
      return next;
    },
  });
  return { result, seen, clock, provider };
}

describe('sendWithRetries', () => {
  it('waits the classifier’s delay on the injected clock, then resolves with the value', async () => {
    const { result, seen, clock } = await run([
      { kind: 'retry', waitMs: 500 },
      { kind: 'retry', waitMs: 1500 },
      { kind: 'done', value: 'ok' },
    ]);
    await expect(result).resolves.toBe('ok');
    expect(seen).toHaveLength(3);
    expect(clock.now()).toBe(2000);
  });

  it('refreshes a refused token and sends again with the new one, up to maxRefreshes times', async () => {
    const { result, seen, provider } = await run(
      [{ kind: 'refresh' }, { kind: 'refresh' }, { kind: 'fail', error: new Error('still refused') }],
      { maxRefreshes: 2 },
    );
    await expect(result).rejects.toThrow('still refused');
    expect(seen).toEqual([
      { token: 'token-1', canRefresh: true },
      { token: 'token-2', canRefresh: true },
      { token: 'token-3', canRefresh: false },
    ]);
    expect(provider.refused).toEqual(['token-1', 'token-2']);
  });

  it('throws the classifier’s error as it is', async () => {
    const error = new Error('refused for good');
    const { result } = await run([{ kind: 'fail', error }]);
    await expect(result).rejects.toBe(error);
  });

  it('stops before another attempt once the caller aborts', async () => {
    const controller = new AbortController();
    const clock = new FixedClock(0);
    let attempts = 0;
    const result = sendWithRetries<string>({
      tokens: tokens(),
      clock,
      maxRefreshes: 5,
      signal: controller.signal,
      attempt: async () => {
        attempts += 1;
        controller.abort(new Error('cancelled'));
        return { kind: 'retry', waitMs: 0 };
      },
    });
    await expect(result).rejects.toThrow('cancelled');
    expect(attempts).toBe(1);
  });
});

describe('backoff pieces', () => {
  it('grows the ceiling exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffCeiling(n, 500, 8000))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
  });

  it('equal jitter keeps half the ceiling; full jitter may be anything below it', () => {
    expect(equalJitter(1000, () => 0)).toBe(500);
    expect(equalJitter(1000, () => 0.999)).toBeCloseTo(999.5);
    expect(fullJitter(1000, () => 0)).toBe(0);
    expect(fullJitter(1000, () => 0.5)).toBe(500);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-12-06T03:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Sun, 06 Dec 2026 03:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
