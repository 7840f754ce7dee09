import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
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
