import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { createHubSpotConnector } from '../../../connectors/hubspot/index.js';
import { LocalRateLimiter } from '../../../src/budget/local-rate-limiter.js';
import type { Tenant } from '../../../src/domain/tenant.js';
import { createLogger } from '../../../src/lib/logger.js';
import { FixedClock } from '../../helpers/fixed-clock.js';

/**
 * The HubSpot connector against responses shaped as the real API sends them, replayed with nock. Each payload
 * names its public source; the shapes follow HubSpot's published OpenAPI files
 * (github.com/HubSpot/HubSpot-public-api-spec-collection, copied to /work/shared/reference/hubspot-openapi/).
 */
const API = 'https://api.hubapi.com';
/** Rate-limit headers of a burst-limited call (HubSpot "API usage guidelines and limits"). */
const HEADERS = {
  'Content-Type': 'application/json;charset=utf-8',
  'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
  'X-HubSpot-RateLimit-Max': '110',
  'X-HubSpot-RateLimit-Remaining': '109',
};

function connector() {
  const clock = new FixedClock();
  return createHubSpotConnector({
    tenant: { id: 't1', externalId: '62515', apiBaseUrl: API } as Tenant,
    tokens: {
      accessToken: async () => 'CJSP5qf1KhICAQEYs-gDIIGOBii1hQIyGQAf3xBKmlwHjX7OIpuIFEavB2-qYAGQsF4',
      refreshAfterRejection: async () => 'x',
    },
    limiter: new LocalRateLimiter(clock),
    fetch: globalThis.fetch,
    clock,
    logger: createLogger({ level: 'silent', format: 'json' }),
    settings: {},
  });
}

/** A property definition as `GET /crm/v3/properties/{objectType}` lists it (the `Property` model). */
function property(name: string, type: string, fieldType: string, extra: Record<string, unknown> = {}) {
  return {
    updatedAt: '2019-10-30T03:30:17.883Z',
    createdAt: '2019-08-06T02:41:52.566Z',
    name,
    label: name,
    type,
    fieldType,
    description: '',
    groupName: 'companyinformation',
    options: [],
    displayOrder: -1,
    calculated: false,
    externalOptions: false,
    hasUniqueValue: false,
    hidden: false,
    hubspotDefined: true,
    modificationMetadata: { archivable: true, readOnlyDefinition: true, readOnlyValue: false },
    formField: true,
    dataSensitivity: 'non_sensitive',
    ...extra,
  };
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

describe('HubSpot records with null optional fields', () => {
  it('reads a record carrying "archivedAt": null and null optional fields, instead of rejecting it whole', async () => {
    const scope = nock(API)
      .get('/crm/v3/properties/companies')
      .reply(
        200,
        {
          results: [
            property('hs_object_id', 'number', 'number', { description: null }),
            property('name', 'string', 'text'),
            property('domain', 'string', 'text'),
            property('numberofemployees', 'number', 'number'),
            property('industry', 'enumeration', 'select', {
              // `Option.description` is optional in the model: HubSpot may send it as null.
              options: [
                {
                  label: 'Computer Software',
                  value: 'COMPUTER_SOFTWARE',
                  displayOrder: 0,
                  hidden: false,
                  description: null,
                },
              ],
            }),
            property('hs_lastmodifieddate', 'datetime', 'text'),
            property('createdate', 'datetime', 'date'),
          ],
        },
        HEADERS,
      )
      .post('/crm/v3/objects/companies/batch/read')
      // `BatchResponseSimplePublicObject` with one `SimplePublicObject`: every property value a string or null
      // (numbers as strings), `archivedAt` (optional in the model) present as null, as a live read carries it.
      .reply(
        200,
        {
          status: 'COMPLETE',
          results: [
            {
              id: '5534427007',
              properties: {
                createdate: '2021-04-20T18:59:19.567Z',
                domain: null,
                hs_lastmodifieddate: '2021-04-21T09:12:11.004Z',
                hs_object_id: '5534427007',
                industry: 'COMPUTER_SOFTWARE',
                name: 'Biglytics',
                numberofemployees: '250',
              },
              propertiesWithHistory: null,
              createdAt: '2021-04-20T18:59:19.567Z',
              updatedAt: '2021-04-21T09:12:11.004Z',
              archived: false,
              archivedAt: null,
            },
          ],
          startedAt: '2021-04-21T09:12:15.210Z',
          completedAt: '2021-04-21T09:12:15.254Z',
        },
        HEADERS,
      );
    const changes = await connector().readRecords!([{ type: 'company', id: '5534427007' }]);
    expect(scope.isDone()).toBe(true);
    expect(changes.rejected ?? []).toEqual([]);
    expect(changes.removals ?? []).toEqual([]);
    expect(changes.companies).toHaveLength(1);
    expect(changes.companies![0]).toMatchObject({
      id: '5534427007',
      name: 'Biglytics',
      domain: null,
      employees: 250,
      archived: false,
      archivedAt: null,
    });
  });
});
