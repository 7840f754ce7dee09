import type { Deal, DealStageChange } from '../domain/records.js';
import type { ActionOutcome } from '../engine/types.js';

/** After this long without a sign, a planned action counts as ignored. */
export const IGNORED_AFTER_MS = 60 * 86_400_000;

export interface OpenAction {
  actionKey: string;
  objectType: string;
  recordId: string;
  action: string;
  createdAt: string;
}

export interface OutcomeFacts {
  deals: Map<string, Deal>;
  /** Stage changes per deal, oldest first. */
  history: Map<string, DealStageChange[]>;
  /** Deals associated with each contact. */
  dealsOfContact: Map<string, string[]>;
  /**
   * Action keys whose CRM task the owner completed. Only the rep completes tasks: crm-agent removes or defers the
   * ones whose action ended, so neither pollutes what the engine learns.
   */
  completedTasks: Set<string>;
  now: number;
}

/**
 * What became of an action, read from the CRM's own data (the feedback the next run learns from): the deal won
 * or lost after it, its stage moved on, the rep completed the task, or, after 60 days without any of these, it was
 * ignored. Undefined while it is too early to say.
 */
export function outcomeOf(action: OpenAction, facts: OutcomeFacts): ActionOutcome | undefined {
  const since = Date.parse(action.createdAt);
  const closedAfter = (deal: Deal | undefined) =>
    deal !== undefined && deal.isClosed && Date.parse(deal.closeDate ?? deal.updatedAt ?? '') >= since;
  const deals = action.objectType === 'deal' ? [action.recordId] : (facts.dealsOfContact.get(action.recordId) ?? []);
  for (const id of deals) {
    const deal = facts.deals.get(id);
    if (closedAfter(deal)) return deal!.isWon ? 'won' : 'lost';
  }
  if (action.objectType === 'deal') {
    const moved = (facts.history.get(action.recordId) ?? []).some((c) => Date.parse(c.enteredAt) > since);
    if (moved) return 'stage_advanced';
  }
  if (facts.completedTasks.has(action.actionKey)) return 'completed';
  if (facts.now - since > IGNORED_AFTER_MS) return 'ignored';
  return undefined;
}
