import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { ApiBudget, memoryLedger } from '../../../connectors/salesforce/budget.js';
import { SalesforceClient } from '../../../connectors/salesforce/client.js';
import { ACCOUNT, OPPORTUNITY } from '../../../connectors/salesforce/map.js';
import { replicationDate } from '../../../connectors/salesforce/replication-date.js';
import { parseSettings } from '../../../connectors/salesforce/settings.js';
import { ChainLock, Describer, type StreamDeps } from '../../../connectors/salesforce/streams/common.js';
import { recordStream } from '../../../connectors/salesforce/streams/record-stream.js';
import { writeFields } from '../../../connectors/salesforce/write/write-fields.js';
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

// Jest runs other test files in this worker next: give them back the network (nock patches Node's http for the
// whole process, not just this file's modules).
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
  nock.restore();
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

describe('Salesforce Bulk API 2.0 and compound fields', () => {
  /**
   * Account's describe with compound fields as Salesforce lists them (SOAP API Developer Guide, "Compound Fields":
   * the compound has type address or location and soapType urn:address / urn:location; each component names it in
   * `compoundFieldName`; a custom Location field `Site_Location__c` has components `Site_Location__Latitude__s` and
   * `Site_Location__Longitude__s`, a custom Address field `HQ_Address__c` has `HQ_Address__Street__s`, `__City__s`,
   * `__PostalCode__s`, `__StateCode__s`, `__CountryCode__s`, `__Latitude__s`, `__Longitude__s`,
   * `__GeocodeAccuracy__s`), and one field of a type no release so far has had.
   */
  const compoundDescribe = {
    name: 'Account',
    fields: [
      ...ACCOUNT_FIELDS,
      describeField('BillingAddress', 'address', { soapType: 'urn:address' }),
      describeField('BillingCity', 'string', { compoundFieldName: 'BillingAddress' }),
      describeField('BillingCountry', 'string', { compoundFieldName: 'BillingAddress' }),
      describeField('Site_Location__c', 'location', { soapType: 'urn:location' }),
      describeField('Site_Location__Latitude__s', 'double', { compoundFieldName: 'Site_Location__c' }),
      describeField('Site_Location__Longitude__s', 'double', { compoundFieldName: 'Site_Location__c' }),
      describeField('HQ_Address__c', 'address', { soapType: 'urn:address' }),
      ...['Street', 'City', 'PostalCode', 'StateCode', 'CountryCode', 'GeocodeAccuracy'].map((part) =>
        describeField(
          `HQ_Address__${part}__s`,
          part === 'Street' ? 'textarea' : part.endsWith('Code') ? 'picklist' : 'string',
          {
            compoundFieldName: 'HQ_Address__c',
          },
        ),
      ),
      ...['Latitude', 'Longitude'].map((part) =>
        describeField(`HQ_Address__${part}__s`, 'double', { compoundFieldName: 'HQ_Address__c' }),
      ),
      describeField('Tier__c', 'picklist'),
      describeField('Embedding__c', 'vector', { soapType: 'urn:vector' }),
    ],
  };
  const COMPOUNDS = ['BillingAddress', 'Site_Location__c', 'HQ_Address__c'];
  const JOB = '750R0000000zlh9IAA';

  it('above the bulk threshold, a query job selects the components of a Location field, never the compound', async () => {
    const d = deps();
    let soql = '';
    const scope = nock(ORG)
      .get(`${DATA}/sobjects/Account/describe`)
      .reply(200, compoundDescribe, LIMIT_INFO)
      .get(`${DATA}/queryAll`)
      .query((q) => String(q.q).startsWith('SELECT COUNT() FROM Account'))
      .reply(200, { totalSize: 12_000, done: true, records: [] }, LIMIT_INFO)
      // Salesforce refuses a compound here with 400 [{ errorCode, message: "Selecting compound data not supported
      // in Bulk Query" }] (the answer airbytehq/airbyte's source-salesforce matches on): only a query without one
      // is answered.
      .post(`${DATA}/jobs/query`, (body: { query: string }) => {
        soql = body.query;
        return COMPOUNDS.every((c) => !new RegExp(`\\b${c}\\b`).test(body.query));
      })
      // Bulk API 2.0 Developer Guide, "Create a Query Job", response body.
      .reply(
        200,
        {
          id: JOB,
          operation: 'queryAll',
          object: 'Account',
          createdById: '005R0000000GiwjIAC',
          createdDate: '2026-11-24T09:00:01.000+0000',
          systemModstamp: '2026-11-24T09:00:01.000+0000',
          state: 'UploadComplete',
          concurrencyMode: 'Parallel',
          contentType: 'CSV',
          apiVersion: 62.0,
          lineEnding: 'LF',
          columnDelimiter: 'COMMA',
        },
        LIMIT_INFO,
      )
      // "Get Information About a Query Job", response body.
      .get(`${DATA}/jobs/query/${JOB}`)
      .reply(
        200,
        {
          id: JOB,
          operation: 'queryAll',
          object: 'Account',
          createdById: '005R0000000GiwjIAC',
          createdDate: '2026-11-24T09:00:01.000+0000',
          systemModstamp: '2026-11-24T09:00:04.000+0000',
          state: 'JobComplete',
          concurrencyMode: 'Parallel',
          contentType: 'CSV',
          apiVersion: 62.0,
          jobType: 'V2Query',
          lineEnding: 'LF',
          columnDelimiter: 'COMMA',
          numberRecordsProcessed: 2,
          retries: 0,
          totalProcessingTime: 334,
        },
        LIMIT_INFO,
      )
      .get(`${DATA}/jobs/query/${JOB}/results`)
      .query(true)
      // "Get Results for a Query Job": CSV, every cell quoted, empty cells for nulls; Sforce-Locator "null" on
      // the last page.
      .reply(
        200,
        () => {
          const columns = soql
            .replace(/^SELECT /, '')
            .replace(/ FROM .*$/s, '')
            .split(', ');
          const row = (values: Record<string, string>) =>
            columns.map((c) => `"${(values[c] ?? '').replace(/"/g, '""')}"`).join(',');
          return [
            columns.map((c) => `"${c}"`).join(','),
            row({
              Id: '001R0000003gN5LIAU',
              IsDeleted: 'false',
              Name: 'Grand Hotels & Resorts Ltd',
              CreatedDate: '2026-11-01T08:00:00.000Z',
              LastModifiedDate: '2026-11-20T10:15:00.000Z',
              SystemModstamp: '2026-11-20T10:15:00.000Z',
              BillingCity: 'Chicago',
              Site_Location__Latitude__s: '41.8781',
              Site_Location__Longitude__s: '-87.6298',
              HQ_Address__City__s: 'Chicago',
              HQ_Address__CountryCode__s: 'US',
              Tier__c: 'Gold',
            }),
            row({
              Id: '001R0000003gN5MIAU',
              IsDeleted: 'false',
              Name: 'United Oil & Gas Corp.',
              CreatedDate: '2026-11-02T08:00:00.000Z',
              LastModifiedDate: '2026-11-21T10:15:00.000Z',
              SystemModstamp: '2026-11-21T10:15:00.000Z',
            }),
            '',
          ].join('\n');
        },
        { 'Content-Type': 'text/csv', 'Sforce-Locator': 'null', 'Sforce-NumberOfRecords': '2' },
      )
      .delete(`${DATA}/jobs/query/${JOB}`)
      .reply(204);
    const read = await pages(recordStream('companies', [ACCOUNT], d));
    expect(scope.isDone()).toBe(true);
    expect(soql).toMatch(/\bSite_Location__Latitude__s\b/);
    expect(soql).toMatch(/\bSite_Location__Longitude__s\b/);
    expect(soql).toMatch(/\bHQ_Address__City__s\b/);
    expect(soql).not.toMatch(/\bEmbedding__c\b/);
    const companies = read.flatMap((p) => p.changes.companies ?? []);
    expect(companies.map((c) => c.id)).toEqual(['001R0000003gN5LIAU', '001R0000003gN5MIAU']);
    expect(companies[0]!.properties).toMatchObject({
      Site_Location__Latitude__s: '41.8781',
      Site_Location__Longitude__s: '-87.6298',
      HQ_Address__CountryCode__s: 'US',
      Tier__c: 'Gold',
    });
    expect(read.flatMap((p) => p.changes.rejected ?? [])).toEqual([]);
  });

  it('a field of a type the connector does not know is left out (listed), never a failed read', async () => {
    const d = deps();
    nock(ORG).get(`${DATA}/sobjects/Account/describe`).reply(200, compoundDescribe, LIMIT_INFO);
    const { names, skipped } = await d.describer.fields('Account', ACCOUNT.fields);
    expect(skipped).toEqual([
      {
        object: 'Account',
        field: 'Embedding__c',
        type: 'vector',
        reason: "field type 'vector' is not one the connector reads",
      },
    ]);
    expect(names.filter((n) => COMPOUNDS.includes(n) || n === 'Embedding__c')).toEqual([]);
    expect(names).toEqual(
      expect.arrayContaining(['BillingCity', 'Site_Location__Latitude__s', 'HQ_Address__Street__s']),
    );
  });
});

/** Opportunity's describe: the fields read, with their real types (multi-currency org: CurrencyIsoCode a picklist). */
const OPPORTUNITY_FIELDS = [
  ...ACCOUNT_FIELDS.filter((f) => f.name !== 'MasterRecordId'),
  describeField('Amount', 'currency', { soapType: 'xsd:double' }),
  // Present only in multi-currency orgs (Salesforce Help, "Considerations for Enabling Multiple Currencies").
  describeField('CurrencyIsoCode', 'picklist'),
  describeField('StageName', 'picklist', { nillable: false }),
  describeField('IsClosed', 'boolean', { soapType: 'xsd:boolean', nillable: false }),
  describeField('IsWon', 'boolean', { soapType: 'xsd:boolean', nillable: false }),
  describeField('CloseDate', 'date', { soapType: 'xsd:date', nillable: false }),
  describeField('Probability', 'percent', { soapType: 'xsd:double' }),
  describeField('AccountId', 'reference', { soapType: 'tns:ID' }),
  describeField('OwnerId', 'reference', { soapType: 'tns:ID', nillable: false }),
];

/**
 * An Opportunity row as a REST query returns it (REST API Developer Guide, "Execute a SOQL Query", response body):
 * `attributes` first, numbers as JSON numbers, nulls as null, dates `YYYY-MM-DD`, datetimes with `+0000`.
 */
function opportunity(id: string, fields: Record<string, unknown>) {
  return {
    attributes: { type: 'Opportunity', url: `${DATA}/sobjects/Opportunity/${id}` },
    Id: id,
    IsDeleted: false,
    Name: 'Edge Emergency Generator',
    CreatedDate: '2024-01-08T10:12:31.000+0000',
    LastModifiedDate: '2024-03-11T16:02:44.000+0000',
    SystemModstamp: '2024-03-11T16:02:44.000+0000',
    Amount: 75000,
    CurrencyIsoCode: 'USD',
    StageName: 'Id. Decision Makers',
    IsClosed: false,
    IsWon: false,
    CloseDate: '2024-04-30',
    Probability: 60,
    AccountId: '001D000000IRFmaIAH',
    OwnerId: '005D0000001KyEIIA0',
    ...fields,
  };
}

describe('Salesforce opportunities replayed: nulls, currencies, deleted rows, lost cursors, sessions, limits', () => {
  it('reads every row across a dropped query locator, with null amounts, other currencies and a deleted row', async () => {
    const d = deps();
    const soqls: string[] = [];
    const scope = nock(ORG)
      .get(`${DATA}/sobjects/Opportunity/describe`)
      .reply(200, { name: 'Opportunity', fields: OPPORTUNITY_FIELDS }, LIMIT_INFO)
      .get(`${DATA}/queryAll`)
      .query((q) => String(q.q).startsWith('SELECT COUNT() FROM Opportunity'))
      // SOQL and SOSL Reference, "COUNT()": totalSize and no records.
      .reply(200, { totalSize: 3, done: true, records: [] }, LIMIT_INFO)
      .get(`${DATA}/queryAll`)
      .query((q) => {
        soqls.push(String(q.q));
        return String(q.q).startsWith('SELECT Id');
      })
      // First page with `nextRecordsUrl` (REST API Developer Guide, "Execute a SOQL Query": "done": false and the
      // query locator path when more rows follow). A closed-won deal in EUR; Amount null on an early deal.
      .reply(
        200,
        {
          totalSize: 3,
          done: false,
          nextRecordsUrl: `${DATA}/query/01gD0000002HU6KIAW-2000`,
          records: [
            opportunity('006D000000CpR3AIAV', {
              Amount: 12000.5,
              CurrencyIsoCode: 'EUR',
              StageName: 'Closed Won',
              IsClosed: true,
              IsWon: true,
              Probability: 100,
              SystemModstamp: '2024-03-11T16:02:44.000+0000',
            }),
            opportunity('006D000000CpR3BIAV', {
              Amount: null,
              Probability: null,
              AccountId: null,
              SystemModstamp: '2024-03-11T16:05:00.000+0000',
            }),
          ],
        },
        LIMIT_INFO,
      )
      // The locator expired meanwhile: 400 INVALID_QUERY_LOCATOR (REST API Developer Guide, "Status Codes and Error
      // Responses"; the error body is an array of { message, errorCode }).
      .get(`${DATA}/query/01gD0000002HU6KIAW-2000`)
      .reply(400, [{ message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }], LIMIT_INFO)
      // Asked again from the last row read: the rest, among them a row in the recycle bin (queryAll returns
      // deleted rows with IsDeleted true; SOQL and SOSL Reference, "QueryAll").
      .get(`${DATA}/queryAll`)
      .query((q) => {
        soqls.push(String(q.q));
        return String(q.q).startsWith('SELECT Id');
      })
      .reply(
        200,
        {
          totalSize: 1,
          done: true,
          records: [
            opportunity('006D000000CpR3CIAV', {
              IsDeleted: true,
              StageName: 'Closed Lost',
              IsClosed: true,
              SystemModstamp: '2024-03-12T08:00:00.000+0000',
            }),
          ],
        },
        LIMIT_INFO,
      );
    const read = await pages(recordStream('deals', [OPPORTUNITY], d));
    expect(scope.isDone()).toBe(true);
    // Asked again from the last row read (keyset on SystemModstamp, then Id), not from the start.
    expect(soqls[1]).toContain(
      "(SystemModstamp > 2024-03-11T16:05:00Z OR (SystemModstamp = 2024-03-11T16:05:00Z AND Id > '006D000000CpR3BIAV'))",
    );
    const deals = read.flatMap((p) => p.changes.deals ?? []);
    expect(read.flatMap((p) => p.changes.rejected ?? [])).toEqual([]);
    expect(deals.find((x) => x.id === '006D000000CpR3AIAV')).toMatchObject({
      amount: 12000.5,
      currency: 'EUR',
      isWon: true,
      stage: 'Closed Won',
    });
    expect(deals.find((x) => x.id === '006D000000CpR3BIAV')).toMatchObject({ amount: null, companyId: null });
    expect(read.flatMap((p) => p.changes.removals ?? [])).toEqual([
      { type: 'deal', id: '006D000000CpR3CIAV', at: '2024-03-12T08:00:00.000Z', mergedInto: null },
    ]);
  });

  it('refreshes an expired session once (401 INVALID_SESSION_ID) and stops on 403 REQUEST_LIMIT_EXCEEDED', async () => {
    const d = deps();
    const scope = nock(ORG)
      // REST API Developer Guide, "Status Codes and Error Responses": 401 with INVALID_SESSION_ID when the
      // session has expired.
      .get(`${DATA}/sobjects/Opportunity/describe`)
      .reply(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }], LIMIT_INFO)
      .get(`${DATA}/sobjects/Opportunity/describe`)
      .reply(200, { name: 'Opportunity', fields: OPPORTUNITY_FIELDS }, LIMIT_INFO)
      // The org's daily allocation used up: 403 REQUEST_LIMIT_EXCEEDED ("TotalRequests Limit exceeded.",
      // REST API Developer Guide, "API Request Limits and Allocations").
      .get(`${DATA}/queryAll`)
      .query(true)
      .reply(403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], {
        ...LIMIT_INFO,
        'Sforce-Limit-Info': 'api-usage=15000/15000',
      });
    await expect(pages(recordStream('deals', [OPPORTUNITY], d))).rejects.toThrow(/REQUEST_LIMIT_EXCEEDED/);
    expect(scope.isDone()).toBe(true);
  });
});

describe('Salesforce write-back replayed: a partial failure', () => {
  it('an sObject Collections update with allOrNone false gives each record its own outcome', async () => {
    const d = deps();
    const scope = nock(ORG)
      // REST API Developer Guide, "Update Multiple Records" (sObject Collections, allOrNone false): HTTP 200 with a
      // SaveResult per record in request order; a refused one `success: false` with `errors[{ statusCode, message,
      // fields }]` (here a value outside a restricted picklist, Salesforce's INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST).
      .patch(`${DATA}/composite/sobjects`)
      .reply(
        200,
        [
          { id: '006D000000CpR3AIAV', success: true, errors: [] },
          {
            success: false,
            errors: [
              {
                statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
                message: 'bad value for restricted picklist field: Japan Summer',
                fields: ['CrmAgent_Segment__c'],
              },
            ],
          },
        ],
        LIMIT_INFO,
      );
    const results = await writeFields({ client: d.client, clock: d.clock, bulkThreshold: 10_000 }, [
      { key: 'a', objectType: 'deal', recordId: '006D000000CpR3AIAV', values: { crm_agent_segment: 'seg_a' } },
      { key: 'b', objectType: 'deal', recordId: '006D000000CpR3BIAV', values: { crm_agent_segment: 'Japan Summer' } },
    ]);
    expect(scope.isDone()).toBe(true);
    expect(results[0]).toMatchObject({ key: 'a', ok: true });
    expect(results[1]).toMatchObject({
      key: 'b',
      ok: false,
      error: {
        code: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
        message: 'bad value for restricted picklist field: Japan Summer (CrmAgent_Segment__c)',
      },
    });
  });
});
