import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { ApiBudget, memoryLedger } from '../../../connectors/salesforce/budget.js';
import { SalesforceClient } from '../../../connectors/salesforce/client.js';
import { ACCOUNT } from '../../../connectors/salesforce/map.js';
import { replicationDate } from '../../../connectors/salesforce/replication-date.js';
import { parseSettings } from '../../../connectors/salesforce/settings.js';
import { ChainLock, Describer, type StreamDeps } from '../../../connectors/salesforce/streams/common.js';
import { recordStream } from '../../../connectors/salesforce/streams/record-stream.js';
import { createLogger } from '../../../src/lib/logger.js';
import type { StreamPage } from '../../../src/ports/crm-connector.js';
import { FixedClock } from '../../helpers/fixed-clock.js';

/**
 * The Salesforce connector against responses shaped as the real REST and Bulk APIs send them, replayed with nock.
 * Each payload names its public source; none is the sandbox's.
 */
const ORG = 'https://acme.my.salesforce.com';
const DATA = '/services/data/v62.0';
/** Every REST answer carries the org's usage (REST API Developer Guide, "Sforce-Limit-Info Header"). */
const LIMIT_INFO = { 'Sforce-Limit-Info': 'api-usage=18/15000', 'Content-Type': 'application/json;charset=UTF-8' };

function deps(settings: Record<string, unknown> = {}): StreamDeps {
  const clock = new FixedClock();
  const logger = createLogger({ level: 'silent', format: 'json' });
  const client = new SalesforceClient({
    tokens: { accessToken: async () => '00Dxx0000001gPL!AR8AQJXg', refreshAfterRejection: async () => 'again' },
    fetch: globalThis.fetch,
    clock,
    logger,
    instanceUrl: () => ORG,
    budget: new ApiBudget({ ledger: memoryLedger(), key: 'salesforce:daily', share: 1 }),
    random: () => 0.5,
  });
  return {
    client,
    settings: parseSettings({ salesforce: settings }),
    describer: new Describer(client),
    chains: new ChainLock(),
    clock,
    logger,
  };
}

/** A describe field as `GET /sobjects/{name}/describe` lists it (the keys the connector reads, with their real names). */
function describeField(name: string, type: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    label: name,
    type,
    custom: name.endsWith('__c') || name.endsWith('__s'),
    calculated: false,
    calculatedFormula: null,
    compoundFieldName: null,
    nillable: true,
    soapType: type === 'double' ? 'xsd:double' : type === 'location' ? 'urn:location' : 'xsd:string',
    ...extra,
  };
}

const ACCOUNT_FIELDS = [
  describeField('Id', 'id', { soapType: 'tns:ID', nillable: false }),
  describeField('IsDeleted', 'boolean', { soapType: 'xsd:boolean', nillable: false }),
  describeField('MasterRecordId', 'reference', { soapType: 'tns:ID' }),
  describeField('Name', 'string', { nillable: false }),
  describeField('CreatedDate', 'datetime', { soapType: 'xsd:dateTime', nillable: false }),
  describeField('LastModifiedDate', 'datetime', { soapType: 'xsd:dateTime', nillable: false }),
  describeField('SystemModstamp', 'datetime', { soapType: 'xsd:dateTime', nillable: false }),
];

async function pages(stream: ReturnType<typeof recordStream>, cursor?: StreamPage['cursor']): Promise<StreamPage[]> {
  const out: StreamPage[] = [];
  const mode = cursor ? 'incremental' : 'full';
  for await (const page of stream.read({ mode, cursor, signal: new AbortController().signal })) out.push(page);
  return out;
}

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('Salesforce replication dates (getDeleted / getUpdated)', () => {
  it('sends the documented form YYYY-MM-DDThh:mm:ss+00:00: whole seconds, no milliseconds, no Z', () => {
    expect(replicationDate(Date.parse('2026-11-24T08:55:00.750Z'))).toBe('2026-11-24T08:55:00+00:00');
    expect(replicationDate(0)).toBe('1970-01-01T00:00:00+00:00');
    expect(() => replicationDate(Number.NaN)).toThrow('not a time');
  });

  it('an incremental pass asks getDeleted with start and end in that form, and reads its answer', async () => {
    const d = deps();
    const scope = nock(ORG)
      .get(`${DATA}/sobjects/Account/describe`)
      .reply(200, { name: 'Account', fields: ACCOUNT_FIELDS }, LIMIT_INFO)
      // The connector's window: from the last covered time less the 300 s overlap, to now (FixedClock 09:00:00).
      .get(`${DATA}/sobjects/Account/deleted/`)
      .query({ start: '2026-11-24T07:55:00+00:00', end: '2026-11-24T09:00:00+00:00' })
      // Salesforce's own example, REST API Developer Guide "Get Deleted Records Within a Given Timeframe"
      // (developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm), ids made Account's.
      .reply(
        200,
        {
          deletedRecords: [{ id: '001D000000IqhSLIAZ', deletedDate: '2026-11-24T08:07:19.000+0000' }],
          earliestDateAvailable: '2026-11-10T15:57:00.000+0000',
          latestDateCovered: '2026-11-24T09:00:00.000+0000',
        },
        LIMIT_INFO,
      )
      .get(`${DATA}/queryAll`)
      .query((q) => String(q.q).startsWith('SELECT COUNT() FROM Account'))
      // A COUNT() query's answer: totalSize and no records (SOQL and SOSL Reference, "COUNT()").
      .reply(200, { totalSize: 0, done: true, records: [] }, LIMIT_INFO)
      .get(`${DATA}/queryAll`)
      .query((q) => String(q.q).startsWith('SELECT Id, IsDeleted'))
      .reply(200, { totalSize: 0, done: true, records: [] }, LIMIT_INFO);
    const cursor = {
      watermark: '2026-11-24T08:00:00.000Z',
      state: {
        pass: 'full',
        done: true,
        watermarks: {
          Account: { ts: '2026-11-24T08:00:00.000Z', id: '001D000000IqhSKIAZ', readAt: '2026-11-24T08:00:00.000Z' },
        },
        deletionsCovered: { Account: '2026-11-24T08:00:00.000Z' },
      },
    };
    const read = await pages(recordStream('companies', [ACCOUNT], d), cursor);
    expect(scope.isDone()).toBe(true);
    expect(read.flatMap((p) => p.changes.removals ?? [])).toEqual([
      { type: 'company', id: '001D000000IqhSLIAZ', at: '2026-11-24T08:07:19.000Z' },
    ]);
  });
});
