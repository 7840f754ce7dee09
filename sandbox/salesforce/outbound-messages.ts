import type { Clock } from '../../src/lib/clock.js';
import type { ObjectDef, SfRecord } from './schema.js';
import type { ChangeEvent, OrgState } from './state.js';
import { toJsonValue } from './values.js';

/** The fields each outbound message sends (as an admin would pick them), per object. */
const MESSAGE_FIELDS: Record<string, string[]> = {
  Account: ['Id', 'Name', 'OwnerId', 'LastModifiedDate', 'SystemModstamp'],
  Contact: ['Id', 'AccountId', 'Email', 'FirstName', 'LastName', 'OwnerId', 'LastModifiedDate', 'SystemModstamp'],
  Lead: ['Id', 'Email', 'FirstName', 'LastName', 'Status', 'IsConverted', 'LastModifiedDate', 'SystemModstamp'],
  Opportunity: [
    'Id',
    'AccountId',
    'Name',
    'StageName',
    'Amount',
    'CloseDate',
    'IsClosed',
    'IsWon',
    'LastModifiedDate',
    'SystemModstamp',
  ],
};

/**
 * The criterion of the workflow rule that sends the messages, as an admin saves it in Setup ("formula evaluates to
 * true"). The sandbox plays the formulas that leave out one user's saves: `CASESAFEID($User.Id) <> "005…"`,
 * `$User.Id <> "005…"` or `LastModifiedById <> "005…"` (`$User` is the user whose save fired the rule); any other
 * formula is refused, so a test never believes a criterion is honoured when it is not.
 */
export function ruleCriterion(formula: string): (event: ChangeEvent) => boolean {
  const match =
    /^\s*(?:CASESAFEID\(\s*\$User\.Id\s*\)|\$User\.Id|LastModifiedById)\s*(?:<>|!=)\s*["'](005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)["']\s*$/.exec(
      formula,
    );
  if (!match) throw new Error(`the sandbox does not play this rule formula: ${formula}`);
  // 15- and 18-character forms of one id share their first 15 characters (the last 3 only encode its case).
  const excluded = match[1]!.slice(0, 15);
  return (event) => event.userId?.slice(0, 15) !== excluded;
}

const MAX_PER_MESSAGE = 100;
const FIRST_RETRY_MS = 15_000;
const MAX_RETRY_MS = 2 * 3_600_000;
const GIVE_UP_MS = 24 * 3_600_000;

interface Notification {
  id: string;
  object: string;
  fields: SfRecord;
  firstQueuedAt: number;
}

export interface Delivery {
  object: string;
  notificationIds: string[];
  attempt: number;
  acknowledged: boolean;
  status: number | null;
}

/**
 * Outbound Messages, as workflow rules send them: when a record of a watched object is created or edited (through
 * the API or by a user), a SOAP `notifications` call carrying up to 100 notifications goes to the endpoint. Anything
 * but an `<Ack>true</Ack>` answer is retried with growing intervals (up to 2 h apart) and dropped after 24 h.
 * Delivery is at least once and unordered. Deletions send nothing (workflow rules do not fire on delete). With a rule
 * formula, saves it evaluates to false for send nothing.
 */
export class OutboundMessenger {
  private queue: Notification[] = [];
  private retryAt = 0;
  private attempt = 0;
  private pump: Promise<void> | undefined;
  private readonly aborter = new AbortController();
  private readonly actionIds = new Map<string, string>();
  readonly deliveries: Delivery[] = [];
  dropped = 0;

  private url: string;
  private matches: (event: ChangeEvent) => boolean;
  /** Saves the rule's criterion left out (no message queued). */
  filtered = 0;

  constructor(
    private readonly options: {
      /** The endpoint URL the admin configured on the outbound message. */
      url: string;
      /** The session sent as `SessionId` when "Send Session ID" is on; nil otherwise. */
      sessionId?: () => string;
      /** The rule's criterion formula (see `ruleCriterion`); without one every create and edit sends a message. */
      ruleFormula?: string;
      state: OrgState;
      clock: Clock;
      fetch: typeof fetch;
      instanceUrl(): string;
      version: string;
    },
  ) {
    this.url = options.url;
    this.matches = options.ruleFormula ? ruleCriterion(options.ruleFormula) : () => true;
    options.state.onChange((events) => this.onChange(events));
  }

  /** An admin editing the outbound message's Endpoint URL: later deliveries (and retries) go there. */
  setUrl(url: string): void {
    this.url = url;
  }

  /** An admin editing the rule's criteria; undefined: the rule fires on every create and edit. */
  setRuleFormula(formula: string | undefined): void {
    this.matches = formula ? ruleCriterion(formula) : () => true;
  }

  /** Notifications waiting for an acknowledgement. */
  pending(): number {
    return this.queue.length;
  }

  /** Resolves once every queued notification is acknowledged or given up on. */
  async idle(): Promise<void> {
    while (this.pump) await this.pump;
  }

  close(): void {
    this.aborter.abort();
  }

  private onChange(events: ChangeEvent[]): void {
    const { state } = this.options;
    for (const event of events) {
      if (event.kind !== 'created' && event.kind !== 'updated') continue;
      const names = MESSAGE_FIELDS[event.object];
      const record = state.get(event.object, event.id);
      if (!names || !record) continue;
      if (!this.matches(event)) {
        this.filtered++;
        continue;
      }
      const def = state.object(event.object)!;
      this.queue.push({
        id: state.nextId('04l'),
        object: event.object,
        fields: Object.fromEntries(names.map((n) => [n, toJsonValue(def.fields.get(n.toLowerCase())!, record[n])])),
        firstQueuedAt: state.clock.now(),
      });
    }
    if (this.queue.length > 0) this.pump ??= this.run().finally(() => (this.pump = undefined));
  }

  private async run(): Promise<void> {
    const { clock } = this.options;
    while (this.queue.length > 0 && !this.aborter.signal.aborted) {
      const wait = this.retryAt - clock.now();
      if (wait > 0) {
        try {
          await clock.sleep(wait, this.aborter.signal);
        } catch {
          return;
        }
      }
      const now = clock.now();
      const before = this.queue.length;
      this.queue = this.queue.filter((n) => now - n.firstQueuedAt < GIVE_UP_MS);
      this.dropped += before - this.queue.length;
      const object = this.queue[0]?.object;
      if (!object) break;
      const batch = this.queue.filter((n) => n.object === object).slice(0, MAX_PER_MESSAGE);
      const result = await this.send(object, batch);
      this.deliveries.push({ object, notificationIds: batch.map((n) => n.id), attempt: this.attempt + 1, ...result });
      if (result.acknowledged) {
        const sent = new Set(batch);
        this.queue = this.queue.filter((n) => !sent.has(n));
        this.attempt = 0;
        this.retryAt = 0;
      } else {
        this.attempt++;
        this.retryAt = clock.now() + Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (this.attempt - 1));
      }
    }
  }

  private async send(object: string, batch: Notification[]): Promise<{ acknowledged: boolean; status: number | null }> {
    const { state } = this.options;
    const url = this.url;
    let actionId = this.actionIds.get(object);
    if (!actionId) {
      actionId = state.nextId('04k');
      this.actionIds.set(object, actionId);
    }
    const body = soapEnvelope({
      orgId: state.orgId,
      actionId,
      sessionId: this.options.sessionId?.(),
      instanceUrl: this.options.instanceUrl(),
      version: this.options.version,
      def: state.object(object)!,
      notifications: batch,
    });
    try {
      const response = await this.options.fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'text/xml; charset=utf-8',
          soapaction: '""',
          'user-agent': 'Salesforce Outbound Notification',
        },
        body,
        signal: AbortSignal.timeout(60_000),
      });
      const text = await response.text();
      return {
        acknowledged: response.ok && /<(?:\w+:)?Ack>\s*true\s*<\/(?:\w+:)?Ack>/i.test(text),
        status: response.status,
      };
    } catch {
      return { acknowledged: false, status: null };
    }
  }
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function soapEnvelope(m: {
  orgId: string;
  actionId: string;
  sessionId: string | undefined;
  instanceUrl: string;
  version: string;
  def: ObjectDef;
  notifications: Notification[];
}): string {
  const notifications = m.notifications
    .map((n) => {
      const fields = Object.entries(n.fields)
        .map(([k, v]) => (v === null ? `<sf:${k} xsi:nil="true"/>` : `<sf:${k}>${xml(String(v))}</sf:${k}>`))
        .join('');
      return `<Notification><Id>${n.id}</Id><sObject xsi:type="sf:${m.def.name}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">${fields}</sObject></Notification>`;
    })
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    '<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">' +
    `<OrganizationId>${m.orgId}</OrganizationId><ActionId>${m.actionId}</ActionId>` +
    (m.sessionId ? `<SessionId>${xml(m.sessionId)}</SessionId>` : '<SessionId xsi:nil="true"/>') +
    `<EnterpriseUrl>${xml(m.instanceUrl)}/services/Soap/c/${m.version}/${m.orgId}</EnterpriseUrl>` +
    `<PartnerUrl>${xml(m.instanceUrl)}/services/Soap/u/${m.version}/${m.orgId}</PartnerUrl>` +
    notifications +
    '</notifications></soapenv:Body></soapenv:Envelope>'
  );
}

/** The answer an endpoint gives to acknowledge a notifications call. */
export const OUTBOUND_ACK =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>';
