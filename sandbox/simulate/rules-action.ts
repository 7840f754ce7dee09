import type { ActionType } from '../../src/engine/types.js';
import type { EffectRecord } from '../world/effects.js';

/** The engine's staleness threshold (DEFAULT_SETTINGS.actions.staleDays). */
const STALE_DAYS = 14;

/**
 * What today's rules (src/engine/nba/decide-actions.ts) choose for a record, transcribed for the simulation,
 * which has no run-to-run score changes (so no "probability fell → meeting") and no learned action worth:
 * a deal quiet for 14+ days gets a call, a late-stage deal on the fence (30–70 %) an offer, a hopeless quiet one
 * nothing, any other an email; a customer at churn risk a re-engagement, another customer a cross-sell, a lead
 * likely to buy (≥ 40 %) a call, a possible one (≥ 20 %) an email, the rest nothing.
 */
export function rulesAction(record: EffectRecord, score: number): ActionType {
  if (record.objectType === 'deal') {
    if (score < 0.05 && record.staleDays >= 4 * STALE_DAYS) return 'none';
    if (record.stage >= 3 && score >= 0.3 && score <= 0.7) return 'discount_offer';
    if (record.staleDays >= STALE_DAYS) return 'call';
    return 'email';
  }
  if (record.customer) return score < 0.5 ? 're_engage' : 'cross_sell';
  if (score >= 0.4) return 'call';
  if (score >= 0.2) return 'email';
  return 'none';
}
