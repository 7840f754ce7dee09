import type { HubSpotSandbox } from '../../sandbox/hubspot/create-hubspot-sandbox.js';
import { HubSpotHttpError } from '../../sandbox/hubspot/errors.js';
import type { ObjectTypeName } from '../../sandbox/hubspot/object-types.js';
import { Rng } from '../../sandbox/world/rng.js';

/**
 * A seeded user working in the CRM's UI while crm-agent syncs: edits properties, creates, deletes, restores and
 * merges records, and links and unlinks deals and contacts (through the sandbox's control operations, so the
 * changes fire webhooks and move modified dates as UI changes do).
 */
export class UiUser {
  private readonly rng: Rng;
  readonly done = { edits: 0, creates: 0, deletes: 0, restores: 0, merges: 0, links: 0 };
  private readonly deleted: Array<[ObjectTypeName, number]> = [];

  constructor(
    private readonly sb: HubSpotSandbox,
    seed: number,
  ) {
    this.rng = new Rng(seed);
  }

  /** One random action; returns what it did. */
  act(): string {
    const r = this.rng.next();
    try {
      if (r < 0.45) return this.edit();
      if (r < 0.55) return this.create();
      if (r < 0.65) return this.delete();
      if (r < 0.68) return this.restore();
      if (r < 0.8) return this.merge();
      return this.link();
    } catch (error) {
      // A racing choice (say, a merge target just deleted): the UI refuses, the user moves on.
      if (error instanceof HubSpotHttpError) return 'refused';
      throw error;
    }
  }

  private pick(type: ObjectTypeName): number {
    const ids = this.sb.state.objects[type].ids;
    for (let tries = 0; tries < 1000; tries++) {
      const id = ids[this.rng.int(0, ids.length - 1)]!;
      if (this.sb.state.get(type, id, { followMerges: false })) return id;
    }
    throw new Error(`no live ${type}`);
  }

  private edit(): string {
    const c = this.sb.control;
    const k = this.rng.next();
    if (k < 0.4) {
      const id = this.pick('contacts');
      c.edit('contacts', id, {
        jobtitle: `Title ${this.rng.int(1, 999)}`,
        lifecyclestage: this.rng.pick(['lead', 'opportunity', 'customer']),
      });
    } else if (k < 0.7) {
      const id = this.pick('deals');
      c.edit('deals', id, {
        amount: String(this.rng.int(500, 90_000)),
        dealstage: this.rng.pick(['qualifiedtobuy', 'contractsent', 'closedwon', 'closedlost']),
      });
    } else if (k < 0.85) {
      c.edit('companies', this.pick('companies'), { numberofemployees: String(this.rng.int(3, 4000)) });
    } else {
      c.edit('line_items', this.pick('line_items'), { quantity: String(this.rng.int(1, 9)) });
    }
    this.done.edits++;
    return 'edit';
  }

  private create(): string {
    const c = this.sb.control;
    const n = this.sb.state.objects.contacts.nextId;
    if (this.rng.chance(0.7)) {
      c.create(
        'contacts',
        { email: `new.${n}.${this.rng.int(0, 1e9)}@example.net`, firstname: 'New', lastname: `Person ${n}` },
        [
          {
            to: { id: String(this.pick('companies')) },
            types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 1 }],
          },
        ],
      );
    } else {
      c.create('deals', { dealname: `New deal ${n}`, dealstage: 'appointmentscheduled', amount: '1200' }, [
        {
          to: { id: String(this.pick('contacts')) },
          types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 3 }],
        },
      ]);
    }
    this.done.creates++;
    return 'create';
  }

  private delete(): string {
    const type = this.rng.pick(['contacts', 'deals', 'companies', 'line_items'] as const);
    const id = this.pick(type);
    this.sb.control.delete(type, id);
    this.deleted.push([type, id]);
    this.done.deletes++;
    return 'delete';
  }

  private restore(): string {
    const entry = this.deleted.splice(this.rng.int(0, Math.max(0, this.deleted.length - 1)), 1)[0];
    if (!entry) return this.edit();
    this.sb.control.restore(entry[0], entry[1]);
    this.done.restores++;
    return 'restore';
  }

  private merge(): string {
    const type = this.rng.chance(0.7) ? 'contacts' : this.rng.chance(0.5) ? 'deals' : 'companies';
    const a = this.pick(type);
    const b = this.pick(type);
    if (a === b) return this.edit();
    this.sb.control.merge(type, a, b);
    this.done.merges++;
    return 'merge';
  }

  private link(): string {
    const deal = this.pick('deals');
    const contact = this.pick('contacts');
    if (this.rng.chance(0.75)) this.sb.control.associate('deals', deal, 'contacts', contact, [3]);
    else {
      const linked = this.sb.state.associations.list('deals', deal, 'contacts')[0];
      if (linked) this.sb.control.unassociate('deals', deal, 'contacts', linked.toId);
    }
    this.done.links++;
    return 'link';
  }
}
