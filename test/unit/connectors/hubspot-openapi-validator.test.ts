import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { findHubSpotOpenApiDir, HubSpotOpenApi } from '../../helpers/hubspot-openapi.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** The checker the HubSpot contract tests rely on: it must fail what the spec forbids, or those tests prove nothing. */
describe('HubSpotOpenApi', () => {
  const spec = new HubSpotOpenApi();
  const record = {
    id: '512',
    properties: { amount: '17', closedate: null },
    createdAt: '2019-10-30T03:30:17.883Z',
    updatedAt: '2019-12-07T16:50:06.678Z',
    archived: false,
  };

  it('accepts a record as the spec (with its known differences) describes it', () => {
    const result = spec.validate('GET', '/crm/v3/objects/deals/512', 200, record);
    expect(result).toEqual({ operation: 'GET /crm/v3/objects/{objectType}/{objectId}', checkedAs: '200', errors: [] });
  });

  it('prefers the object-specific file and matches paths with a trailing slash', () => {
    expect(spec.validate('GET', '/crm/v3/objects/contacts', 200, { results: [] }).operation).toBe(
      'GET /crm/v3/objects/contacts',
    );
    expect(spec.operation('GET', '/crm/v3/owners/')?.template).toBe('/crm/v3/owners');
  });

  it('fails a record missing a required field, a number where a string belongs, or a bad date-time', () => {
    const { archived: _, ...noArchived } = record;
    expect(spec.validate('GET', '/crm/v3/objects/deals/512', 200, noArchived).errors.join()).toMatch(/archived/);
    expect(spec.validate('GET', '/crm/v3/objects/deals/512', 200, { ...record, id: 512 }).errors.join()).toMatch(
      /\/id must be string/,
    );
    expect(
      spec.validate('GET', '/crm/v3/objects/deals/512', 200, { ...record, createdAt: '30/10/2019' }).errors.join(),
    ).toMatch(/createdAt must match format "date-time"/);
  });

  it('checks errors against the default response: a 400 without its correlationId fails', () => {
    const body = { status: 'error', message: 'Property values were not valid', category: 'VALIDATION_ERROR' };
    const result = spec.validate('POST', '/crm/v3/objects/deals/batch/update', 400, body);
    expect(result.checkedAs).toBe('default');
    expect(result.errors.join()).toMatch(/correlationId/);
  });

  it("checks a 429 against HubSpot's documented rate-limit body, which must name its policy", () => {
    const body = {
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      correlationId: 'c033cdaa-2c40-4a64-ae48-b4cec88dad24',
      policyName: 'TEN_SECONDLY_ROLLING',
    };
    expect(spec.validate('GET', '/crm/v3/objects/deals', 429, body).errors).toEqual([]);
    const { policyName: _, ...unnamed } = body;
    expect(spec.validate('GET', '/crm/v3/objects/deals', 429, unnamed).errors.join()).toMatch(/policyName/);
  });

  it('checks associations v4 with numeric object ids and null labels (HubSpot real behaviour)', () => {
    const body = {
      status: 'COMPLETE',
      results: [
        {
          from: { id: '101' },
          to: [{ toObjectId: 201, associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 3, label: null }] }],
        },
      ],
      startedAt: '2023-10-01T10:00:00.000Z',
      completedAt: '2023-10-01T10:00:00.120Z',
    };
    const path = '/crm/v4/associations/deals/contacts/batch/read';
    expect(spec.validate('POST', path, 200, body).errors).toEqual([]);
    const bad = structuredClone(body);
    bad.results[0]!.to[0]!.associationTypes[0]!.category = 'SOMETHING_ELSE';
    expect(spec.validate('POST', path, 200, bad).errors.join()).toMatch(/category must be equal to one of/);
  });
});

/** The contract test must find the spec files from any clone (CI clones to /tmp/ci-X), and fail when it cannot. */
describe('findHubSpotOpenApiDir', () => {
  const dir = tempDir();
  const specs = (at: string) => {
    mkdirSync(at, { recursive: true });
    writeFileSync(join(at, 'CRM_Deals-v3_deals.json'), '{}');
    return at;
  };
  afterAll(() => dir.remove());

  it('finds shared/reference/hubspot-openapi beside the checkout or beside any folder above it', () => {
    const root = join(dir.path, 'a');
    const beside = specs(join(root, 'shared', 'reference', 'hubspot-openapi'));
    const nowhere = join(dir.path, 'none');
    // /work/main → /work/shared; a worktree /work/wt/fin → /work/shared.
    expect(findHubSpotOpenApiDir({ env: {}, from: join(root, 'main'), fallback: nowhere })).toBe(beside);
    expect(findHubSpotOpenApiDir({ env: {}, from: join(root, 'wt', 'fin'), fallback: nowhere })).toBe(beside);
  });

  it('takes HUBSPOT_OPENAPI_DIR first, and refuses one that holds no spec', () => {
    const chosen = specs(join(dir.path, 'chosen'));
    expect(findHubSpotOpenApiDir({ env: { HUBSPOT_OPENAPI_DIR: chosen }, from: join(dir.path, 'a', 'main') })).toBe(
      chosen,
    );
    const empty = join(dir.path, 'empty');
    mkdirSync(empty);
    expect(() => findHubSpotOpenApiDir({ env: { HUBSPOT_OPENAPI_DIR: empty } })).toThrow(
      `HUBSPOT_OPENAPI_DIR=${empty} holds no HubSpot OpenAPI file (*.json)`,
    );
  });

  it('falls back to the project machine’s copy, and otherwise fails naming every place tried', () => {
    const clone = join(dir.path, 'ci-1');
    const machine = specs(join(dir.path, 'machine'));
    expect(findHubSpotOpenApiDir({ env: {}, from: clone, fallback: machine })).toBe(machine);
    const missing = join(dir.path, 'missing');
    expect(() => findHubSpotOpenApiDir({ env: {}, from: clone, fallback: missing })).toThrow(
      new RegExp(`not found \\(tried ${join(clone, 'shared')}.*${missing}\\).*set HUBSPOT_OPENAPI_DIR`),
    );
  });
});
