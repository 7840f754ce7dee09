import type { HubSpotSandbox } from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import type { SalesforceSandbox } from '../../sandbox/salesforce/create-salesforce-sandbox.js';
import { Rng } from '../../sandbox/world/rng.js';

/**
 * Plays sales reps working in both sandbox CRMs: every tick one HubSpot deal gets more logged activity and moves
 * on a stage, and one Salesforce opportunity is edited. HubSpot sends signed webhooks, Salesforce sends outbound
 * messages, and crm-agent re-scores those records and writes back. Returns a line per change for the console.
 */
export function userActivity(hubspot: HubSpotSandbox, salesforce: SalesforceSandbox, seed = 1) {
  const rng = new Rng(seed);
  const stages = [
    'appointmentscheduled',
    'qualifiedtobuy',
    'presentationscheduled',
    'decisionmakerboughtin',
    'contractsent',
  ];
  return {
    tick(): string[] {
      const lines: string[] = [];
      const open = [...hubspot.state.objects.deals.records.values()].filter(
        (d) => stages.includes(String(d.properties.dealstage)) && !d.archived,
      );
      if (open.length > 0) {
        const deal = rng.pick(open);
        const at = stages.indexOf(String(deal.properties.dealstage));
        const stage = stages[Math.min(stages.length - 1, at + (rng.chance(0.4) ? 1 : 0))]!;
        const notes = Number(hubspot.control.logNotes('deals', deal.id, rng.int(2, 6)).properties.num_notes);
        if (stage !== deal.properties.dealstage) hubspot.control.edit('deals', deal.id, { dealstage: stage });
        lines.push(
          `HubSpot: a rep logged activity on deal ${deal.id} "${deal.properties.dealname ?? ''}" (num_notes ${notes}, ${stage})`,
        );
      }
      const [edited] = salesforce.control.edit({ object: 'Opportunity', count: 1, seed: rng.int(1, 1e6) });
      if (edited) lines.push(`Salesforce: a rep edited opportunity ${edited}`);
      return lines;
    },
  };
}
