import { BudgetExhaustedError } from '../../src/lib/errors.js';
import type { ApiUsage, ApiUsageLedger } from '../../src/ports/api-usage.js';

const DAY = 86_400_000;

/** A ledger in memory: the fallback when the runtime persists none (the share then holds within one run). */
export function memoryLedger(): ApiUsageLedger {
  const used = new Map<string, ApiUsage>();
  return {
    async usage(key) {
      return used.get(key) ?? { requests: 0, allocation: null };
    },
    async record(key, requests, allocation) {
      const prev = used.get(key) ?? { requests: 0, allocation: null };
      used.set(key, { requests: prev.requests + requests, allocation: allocation ?? prev.allocation });
    },
  };
}

/**
 * crm-agent's share of a Salesforce org's daily API allocation. Before every request it checks what crm-agent
 * has used over the last 24 hours (persisted, so the share holds across runs) against `share` × the allocation
 * Salesforce reports in `Sforce-Limit-Info`, and stops with BudgetExhaustedError once the share is used, or once
 * the org as a whole has no requests left. It never waits for the window to free up: the run ends, saying so.
 */
export class ApiBudget {
  private used: number | undefined;
  private allocation: number | null = null;
  private orgUsed: number | null = null;

  constructor(private readonly options: { ledger: ApiUsageLedger; key: string; share: number }) {}

  /** Takes one request from the budget, or throws BudgetExhaustedError. */
  async take(): Promise<void> {
    if (this.used === undefined) {
      const usage = await this.options.ledger.usage(this.options.key, DAY);
      this.used = usage.requests;
      this.allocation ??= usage.allocation;
    }
    if (this.allocation !== null) {
      const allowed = Math.floor(this.options.share * this.allocation);
      if (this.used + 1 > allowed) {
        throw new BudgetExhaustedError(
          `crm-agent has used ${this.used} Salesforce API requests in the last 24 hours: its ${formatShare(this.options.share)} share ` +
            `(${allowed}) of the org's daily allocation of ${this.allocation}. The sync stops here and resumes from its last checkpoint ` +
            'when the share frees up (tenant setting salesforce.apiShare).',
        );
      }
      if (this.orgUsed !== null && this.orgUsed >= this.allocation) {
        throw new BudgetExhaustedError(
          `the Salesforce org has used its whole daily API allocation (${this.orgUsed}/${this.allocation}, all clients together): ` +
            'the sync stops here and resumes from its last checkpoint once the org has requests left.',
        );
      }
    }
    this.used += 1;
    await this.options.ledger.record(this.options.key, 1, this.allocation);
  }

  /** Reads `Sforce-Limit-Info: api-usage=<used>/<max>` from a response. */
  observe(header: string | null): void {
    const m = header ? /api-usage=(\d+)\/(\d+)/.exec(header) : null;
    if (!m) return;
    this.orgUsed = Number(m[1]);
    this.allocation = Number(m[2]);
  }

  /** The org-wide usage last reported, and crm-agent's own. */
  snapshot(): { orgUsed: number | null; allocation: number | null; crmAgentUsed: number | undefined } {
    return { orgUsed: this.orgUsed, allocation: this.allocation, crmAgentUsed: this.used };
  }
}

function formatShare(share: number): string {
  return `${Math.round(share * 1000) / 10} %`;
}
