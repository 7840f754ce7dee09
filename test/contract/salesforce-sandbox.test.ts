import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jsforce from 'jsforce';
import { OUTBOUND_ACK } from '../../sandbox/salesforce/outbound-messages.js';
import { FixedClock } from '../helpers/fixed-clock.js';
import { REDIRECT_URI, SF_CLIENT, startSandbox } from '../helpers/salesforce.js';
import { spawnProcess } from '../helpers/spawn.js';
import { tempDir } from '../helpers/temp-dir.js';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
const TOKEN = 'sandbox-salesforce-token';
const VERSION = '62.0';

/** jsforce, unchanged, pointed at the sandbox as its instance URL. */
const connect = (sandbox: Sandbox, extra: Record<string, unknown> = {}) =>
  new jsforce.Connection({ instanceUrl: sandbox.baseUrl, accessToken: TOKEN, version: VERSION, ...extra });

async function failure(promise: PromiseLike<unknown>): Promise<{ errorCode?: string; message: string; name?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { errorCode?: string; message: string };
  }
  throw new Error('expected the call to fail');
}

describe('Salesforce sandbox contract: jsforce works against it unchanged', () => {
  let sandbox: Sandbox;
  let conn: InstanceType<typeof jsforce.Connection>;

  beforeAll(async () => {
    sandbox = await startSandbox();
    conn = connect(sandbox);
  });
  afterAll(() => sandbox.close());

  describe('REST basics', () => {
    it('lists API versions without a session, and answers resources and limits with one', async () => {
      const versions = (await (await fetch(`${sandbox.baseUrl}/services/data/`)).json()) as Array<{
        version: string;
        url: string;
      }>;
      expect(versions.at(-1)).toEqual({ label: "Winter '25", url: '/services/data/v62.0', version: '62.0' });
      expect(versions.map((v) => v.version)).toContain('42.0');
      const resources = await conn.request<Record<string, string>>('/services/data/v62.0');
      expect(resources.query).toBe('/services/data/v62.0/query');
      expect(resources.identity).toMatch(/\/id\/00D\w{15}\/005\w{15}$/);
      const limits = await conn.limits();
      expect(limits.DailyApiRequests?.Max).toBe(110_000);
      expect(conn.limitInfo.apiUsage?.limit).toBe(110_000);
      expect(conn.limitInfo.apiUsage?.used).toBeGreaterThan(0);
    });

    it('refuses a request without a valid session with 401 INVALID_SESSION_ID', async () => {
      const res = await fetch(`${sandbox.baseUrl}/services/data/v62.0/sobjects`, {
        headers: { authorization: 'Bearer nope' },
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    });

    it('describes objects, with formula fields and key prefixes', async () => {
      const global = await conn.describeGlobal();
      const prefixes = Object.fromEntries(global.sobjects.map((s) => [s.name, s.keyPrefix]));
      expect(prefixes).toMatchObject({
        Account: '001',
        Contact: '003',
        Lead: '00Q',
        Opportunity: '006',
        OpportunityLineItem: '00k',
        Product2: '01t',
        PricebookEntry: '01u',
        User: '005',
        Task: '00T',
      });
      const contact = await conn.sobject('Contact').describe();
      const score = contact.fields.find((f) => f.name === 'Engagement_Score__c');
      expect(score).toMatchObject({ calculated: true, custom: true, createable: false, type: 'double' });
      const stage = (await conn.sobject('Opportunity').describe()).fields.find((f) => f.name === 'StageName')!;
      expect(stage.restrictedPicklist).toBe(true);
      expect(stage.picklistValues?.map((p) => p.value)).toContain('Closed Won');
    });
  });

  describe('SOQL', () => {
    it('selects fields and relationship fields, filters with AND/OR, IN and datetimes, orders and limits', async () => {
      const opportunity = sandbox.control.records('Opportunity')[0]!;
      const result = await conn.query<Record<string, unknown>>(
        `SELECT Id, Name, Account.Name, Owner.Email, StageName, Amount, CloseDate, SystemModstamp FROM Opportunity ` +
          `WHERE (StageName IN ('Closed Won', 'Closed Lost') OR Amount > 1000) AND CreatedDate < 2026-12-01T00:00:00Z ` +
          'ORDER BY SystemModstamp DESC, Id LIMIT 5',
      );
      expect(result.records).toHaveLength(5);
      const row = result.records[0]!;
      expect(row.attributes).toEqual({
        type: 'Opportunity',
        url: expect.stringMatching(/^\/services\/data\/v62\.0\/sobjects\/Opportunity\/006\w{15}$/),
      });
      expect(row.Account).toEqual({
        attributes: expect.objectContaining({ type: 'Account' }),
        Name: expect.any(String),
      });
      expect(String(row.SystemModstamp)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$/);
      const stamps = result.records.map((r) => Date.parse(String(r.SystemModstamp).replace('+0000', 'Z')));
      expect([...stamps].sort((a, b) => b - a)).toEqual(stamps);
      const one = await conn.query<Record<string, unknown>>(
        `SELECT Name FROM Opportunity WHERE Id = '${String(opportunity.Id).slice(0, 15)}'`,
      );
      expect(one.records[0]!.Name).toBe(opportunity.Name);
      const thisYear = await conn.query('SELECT COUNT() FROM Opportunity WHERE CloseDate = LAST_N_DAYS:30000');
      expect(thisYear.totalSize).toBeGreaterThan(0);
    });

    it('answers malformed SOQL with MALFORMED_QUERY, unknown columns with INVALID_FIELD, pointing at the column', async () => {
      const malformed = await failure(conn.query('SELECT Id FRM Contact'));
      expect(malformed.errorCode).toBe('MALFORMED_QUERY');
      expect(malformed.message).toBe(
        "\nSELECT Id FRM Contact\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FRM'",
      );
      const mixed = await failure(
        conn.query("SELECT Id FROM Contact WHERE Email = 'a' AND Title = 'b' OR Title = 'c'"),
      );
      expect(mixed.errorCode).toBe('MALFORMED_QUERY');
      const field = await failure(conn.query('SELECT Id, Shoe_Size__c FROM Contact'));
      expect(field.errorCode).toBe('INVALID_FIELD');
      expect(field.message).toContain("No such column 'Shoe_Size__c' on entity 'Contact'");
      const type = await failure(conn.query('SELECT Id FROM Invoice__c'));
      expect(type.errorCode).toBe('INVALID_TYPE');
      const quoted = await failure(conn.query("SELECT Id FROM Contact WHERE CreatedDate > '2026-01-01'"));
      expect(quoted.errorCode).toBe('INVALID_FIELD');
      const raw = await fetch(
        `${sandbox.baseUrl}/services/data/v62.0/query?q=${encodeURIComponent('SELECT FROM Account')}`,
        {
          headers: { authorization: `Bearer ${TOKEN}` },
        },
      );
      expect(raw.status).toBe(400);
      expect(await raw.json()).toEqual([
        {
          message: "\nSELECT FROM Account\n       ^\nERROR at Row:1:Column:8\nunexpected token: 'FROM'",
          errorCode: 'MALFORMED_QUERY',
        },
      ]);
    });

    it('pages through nextRecordsUrl, honours batchSize, and autoFetch reads every row', async () => {
      const first = await conn.query('SELECT Id FROM Contact', {
        headers: { 'Sforce-Query-Options': 'batchSize=200' },
      });
      expect(first.records).toHaveLength(200);
      expect(first.done).toBe(false);
      // jsforce turns the locator back into an absolute URL; the sandbox sends the relative path Salesforce sends.
      expect(first.nextRecordsUrl).toMatch(/\/services\/data\/v62\.0\/query\/01g\w{12}-200$/);
      const raw = await fetch(`${sandbox.baseUrl}/services/data/v62.0/query?q=SELECT+Id+FROM+Contact`, {
        headers: { authorization: `Bearer ${TOKEN}`, 'sforce-query-options': 'batchSize=300' },
      });
      expect(((await raw.json()) as { nextRecordsUrl: string }).nextRecordsUrl).toMatch(
        /^\/services\/data\/v62\.0\/query\/01g\w{12}-300$/,
      );
      const second = await conn.queryMore(first.nextRecordsUrl!);
      expect(first.totalSize).toBeGreaterThan(200);
      expect(second.records).toHaveLength(Math.min(200, first.totalSize - 200));
      const all = await conn.query('SELECT Id FROM Contact', {
        autoFetch: true,
        maxFetch: 100_000,
        headers: { 'Sforce-Query-Options': 'batchSize=200' },
      });
      const live = sandbox.control.records('Contact');
      expect(all.records).toHaveLength(live.length);
      expect(new Set(all.records.map((r) => r.Id))).toEqual(new Set(live.map((r) => r.Id)));
    });

    it('invalidates the oldest cursor when a user opens an eleventh: INVALID_QUERY_LOCATOR', async () => {
      const pages = [];
      for (let i = 0; i < 11; i++)
        pages.push(
          await conn.query('SELECT Id FROM Contact', { headers: { 'Sforce-Query-Options': 'batchSize=200' } }),
        );
      const oldest = await failure(conn.queryMore(pages[0]!.nextRecordsUrl!));
      expect(oldest.errorCode).toBe('INVALID_QUERY_LOCATOR');
      expect((await conn.queryMore(pages[10]!.nextRecordsUrl!)).records).toHaveLength(
        Math.min(200, pages[10]!.totalSize - 200),
      );
    });

    it('queryAll returns deleted rows, query does not', async () => {
      const [target] = sandbox.control.remove({ object: 'Lead', count: 1, seed: 3 });
      const soql = `SELECT Id, IsDeleted FROM Lead WHERE Id = '${target}'`;
      expect((await conn.query(soql)).totalSize).toBe(0);
      const all = await conn.query<{ IsDeleted: boolean }>(soql, { scanAll: true });
      expect(all.records[0]!.IsDeleted).toBe(true);
    });
  });

  describe('records', () => {
    it('creates, reads, updates, upserts and deletes single records, with Salesforce error arrays', async () => {
      const account = await conn.sobject('Account').create({ Name: 'Contract Test Co', NumberOfEmployees: 12 });
      expect(account).toMatchObject({ success: true, errors: [], id: expect.stringMatching(/^001\w{15}$/) });
      const created = await conn
        .sobject('Contact')
        .create({ LastName: 'Lovelace', FirstName: 'Ada', AccountId: account.id });
      await conn.sobject('Contact').update({ Id: created.id!, Title: 'Analyst' });
      const read = await conn.sobject('Contact').retrieve(created.id!);
      expect(read).toMatchObject({ Name: 'Ada Lovelace', Title: 'Analyst', AccountId: account.id });
      const missing = await failure(conn.sobject('Contact').create({ FirstName: 'No last name' }));
      expect(missing).toMatchObject({
        errorCode: 'REQUIRED_FIELD_MISSING',
        message: 'Required fields are missing: [LastName]',
      });
      const readOnly = await failure(
        conn
          .sobject('Opportunity')
          .create({ Name: 'x', StageName: 'Prospecting', CloseDate: '2026-12-01', IsWon: true }),
      );
      expect(readOnly.errorCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
      const stage = await failure(
        conn.sobject('Opportunity').create({ Name: 'x', StageName: 'Daydreaming', CloseDate: '2026-12-01' }),
      );
      expect(stage.errorCode).toBe('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
      await conn.sobject('Account').destroy(account.id!);
      const gone = await failure(conn.sobject('Contact').retrieve(created.id!));
      expect(gone.errorCode).toBe('ENTITY_IS_DELETED');
    });

    it('keeps OpportunityHistory and derived stage fields as a real org does', async () => {
      const account = sandbox.control.records('Account')[0]!;
      const opp = await conn.sobject('Opportunity').create({
        Name: 'History',
        StageName: 'Prospecting',
        CloseDate: '2026-12-31',
        Amount: 100,
        AccountId: account.Id,
      });
      await conn.sobject('Opportunity').update({ Id: opp.id!, StageName: 'Closed Won' });
      const row = await conn.sobject('Opportunity').retrieve(opp.id!);
      expect(row).toMatchObject({ IsClosed: true, IsWon: true, Probability: 100, ForecastCategoryName: 'Closed' });
      const history = await conn.query<{ StageName: string }>(
        `SELECT StageName FROM OpportunityHistory WHERE OpportunityId = '${opp.id}' ORDER BY CreatedDate, Id`,
      );
      expect(history.records.map((h) => h.StageName)).toEqual(['Prospecting', 'Closed Won']);
      const task = await conn.sobject('Task').create({ Subject: 'Call', WhatId: opp.id, Status: 'Completed' });
      expect(task.success).toBe(true);
      expect((await conn.sobject('Opportunity').retrieve(opp.id!)).Activity_Count__c).toBe(1);
    });

    it('sObject Collections: up to 200 records, allOrNone rolls everything back', async () => {
      const mixed = await conn
        .sobject('Contact')
        .create([{ LastName: 'One' }, { LastName: 'Two', Email: 'not an email' }]);
      expect(mixed[0]).toMatchObject({ success: true });
      expect(mixed[1]).toMatchObject({
        success: false,
        errors: [
          {
            statusCode: 'INVALID_EMAIL_ADDRESS',
            message: 'Email: invalid email address: not an email',
            fields: ['Email'],
          },
        ],
      });
      const before = sandbox.control.records('Contact').length;
      const atomic = await conn
        .sobject('Contact')
        .create([{ LastName: 'Three' }, { FirstName: 'no last name' }], { allOrNone: true });
      expect(atomic.map((r) => r.success)).toEqual([false, false]);
      expect(atomic[0]!.errors[0]).toMatchObject({ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK' });
      expect(sandbox.control.records('Contact')).toHaveLength(before);
      const tooMany = await failure(
        conn.sobject('Contact').create(Array.from({ length: 201 }, (_, i) => ({ LastName: `N${i}` }))),
      );
      expect(tooMany.errorCode).toBe('EXCEEDED_ID_LIMIT');
      const updated = await conn.sobject('Contact').update([
        { Id: mixed[0]!.id!, Title: 'Updated in bulk' },
        { Id: '003000000000000AAA', Title: 'nobody' },
      ]);
      expect(updated.map((r) => r.success)).toEqual([true, false]);
      expect(updated[1]!.errors[0]).toMatchObject({ statusCode: 'NOT_FOUND' });
      const ids = [mixed[0]!.id!];
      const retrieved = await conn.sobject('Contact').retrieve(ids, { fields: ['LastName'] });
      expect(retrieved[0]).toMatchObject({ LastName: 'One' });
      const destroyed = await conn.sobject('Contact').destroy([...ids, ids[0]!]);
      expect(destroyed.map((r) => r.success)).toEqual([true, false]);
    });

    it('Composite: one call, HTTP 200 with each subrequest answered, references resolved, allOrNone honoured', async () => {
      const ok = await conn.requestPost<{
        compositeResponse: Array<{ httpStatusCode: number; body: Record<string, unknown> }>;
      }>('/composite', {
        compositeRequest: [
          {
            method: 'POST',
            url: '/services/data/v62.0/sobjects/Account',
            referenceId: 'acct',
            body: { Name: 'Composite Co' },
          },
          {
            method: 'POST',
            url: '/services/data/v62.0/sobjects/Contact',
            referenceId: 'ct',
            body: { LastName: 'Comp', AccountId: '@{acct.id}' },
          },
          {
            method: 'GET',
            url: '/services/data/v62.0/sobjects/Contact/@{ct.id}?fields=AccountId',
            referenceId: 'read',
          },
          { method: 'POST', url: '/services/data/v62.0/sobjects/Contact', referenceId: 'bad', body: {} },
        ],
      });
      expect(ok.compositeResponse.map((r) => r.httpStatusCode)).toEqual([201, 201, 200, 400]);
      expect(ok.compositeResponse[2]!.body.AccountId).toBe(ok.compositeResponse[0]!.body.id);
      const usedBefore = sandbox.context.limits.used();
      const rolledBack = await conn.requestPost<{
        compositeResponse: Array<{ httpStatusCode: number; body: Array<{ errorCode: string }> }>;
      }>('/composite', {
        allOrNone: true,
        compositeRequest: [
          {
            method: 'POST',
            url: '/services/data/v62.0/sobjects/Account',
            referenceId: 'a',
            body: { Name: 'Rolled Back Co' },
          },
          { method: 'POST', url: '/services/data/v62.0/sobjects/Contact', referenceId: 'b', body: {} },
        ],
      });
      expect(sandbox.context.limits.used()).toBe(usedBefore + 1);
      expect(rolledBack.compositeResponse.map((r) => r.body[0]!.errorCode)).toEqual([
        'PROCESSING_HALTED',
        'REQUIRED_FIELD_MISSING',
      ]);
      expect((await conn.query("SELECT Id FROM Account WHERE Name = 'Rolled Back Co'")).totalSize).toBe(0);
      const tooMany = await failure(
        conn.requestPost('/composite', {
          compositeRequest: Array.from({ length: 26 }, (_, i) => ({
            method: 'GET',
            url: '/services/data/v62.0/limits',
            referenceId: `r${i}`,
          })),
        }),
      );
      expect(tooMany.errorCode).toBe('LIMIT_EXCEEDED');
    });

    it('getUpdated and getDeleted report changes within the replication window', async () => {
      const start = new Date(sandbox.context.clock.now() - 3_600_000);
      const end = new Date(sandbox.context.clock.now() + 120_000);
      const contact = await conn.sobject('Contact').create({ LastName: 'Replicated' });
      await conn.sobject('Contact').destroy(contact.id!);
      const updated = await conn.sobject('Contact').updated(start, end);
      expect(updated.latestDateCovered).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000\+0000$/);
      const deleted = await conn.sobject('Contact').deleted(start, end);
      expect(deleted.earliestDateAvailable).toMatch(/\+0000$/);
      const old = await failure(conn.sobject('Contact').updated(new Date(Date.now() - 40 * 86_400_000), end));
      expect(old.errorCode).toBe('INVALID_REPLICATION_DATE');
    });
  });

  describe('Bulk API 2.0', () => {
    it('runs a query job and pages its CSV results', async () => {
      const stream = await conn.bulk2.query('SELECT Id, Email, Account.Name FROM Contact');
      const rows = (await stream.toArray()) as Array<Record<string, string>>;
      expect(rows).toHaveLength(sandbox.control.records('Contact').length);
      expect(rows[0]).toEqual({
        Id: expect.stringMatching(/^003/),
        Email: expect.any(String),
        'Account.Name': expect.any(String),
      });
      const job = await conn.request<{ id: string }>({
        method: 'POST',
        url: '/services/data/v62.0/jobs/query',
        body: JSON.stringify({ operation: 'queryAll', query: 'SELECT Id FROM Contact' }),
        headers: { 'content-type': 'application/json' },
      });
      const page = await fetch(`${sandbox.baseUrl}/services/data/v62.0/jobs/query/${job.id}/results?maxRecords=100`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(page.headers.get('sforce-numberofrecords')).toBe('100');
      expect(page.headers.get('sforce-locator')).not.toBe('null');
      expect((await page.text()).split('\n')[0]).toBe('"Id"');
    });

    it('runs ingest jobs: insert, upsert by external id and delete, with per-row successes and failures', async () => {
      const inserted = await conn.bulk2.loadAndWaitForResults({
        object: 'Account',
        operation: 'insert',
        input: 'Name,NumberOfEmployees\nBulk One,5\nBulk Two,x\n',
        pollInterval: 10,
        pollTimeout: 5_000,
      });
      expect(inserted.successfulResults).toHaveLength(1);
      expect(inserted.failedResults).toHaveLength(1);
      expect(inserted.failedResults[0]!.sf__Error).toMatch(/^INVALID_FIELD:Employees: value not of required type: x/);
      const deleted = await conn.bulk2.loadAndWaitForResults({
        object: 'Account',
        operation: 'delete',
        input: `Id\n${inserted.successfulResults[0]!.sf__Id}\n`,
        pollInterval: 10,
        pollTimeout: 5_000,
      });
      expect(deleted.successfulResults).toHaveLength(1);
      expect(sandbox.state.get('Account', String(inserted.successfulResults[0]!.sf__Id))?.IsDeleted).toBe(true);
    });
  });

  describe('compound fields (Address, Location)', () => {
    it('describes BillingAddress as type address with its components, selects it in REST, never filters on it', async () => {
      const account = await conn.sobject('Account').describe();
      const billing = account.fields.find((f) => f.name === 'BillingAddress')!;
      expect(billing).toMatchObject({ type: 'address', soapType: 'urn:address', filterable: false, updateable: false });
      expect(account.fields.filter((f) => f.compoundFieldName === 'BillingAddress').map((f) => f.name)).toEqual(
        expect.arrayContaining(['BillingStreet', 'BillingCity', 'BillingState', 'BillingPostalCode', 'BillingCountry']),
      );
      // Compound fields arrive with API 30.0.
      const old = await conn.request<{ fields: Array<{ name: string }> }>(
        '/services/data/v29.0/sobjects/Account/describe',
      );
      expect(old.fields.some((f) => f.name === 'BillingAddress')).toBe(false);
      const created = await conn
        .sobject('Account')
        .create({ Name: 'Compound Co', BillingCity: 'Lyon', BillingCountry: 'France' });
      const row = (
        await conn.query<Record<string, unknown>>(`SELECT BillingAddress FROM Account WHERE Id = '${created.id}'`)
      ).records[0]!;
      expect(row.BillingAddress).toMatchObject({ city: 'Lyon', country: 'France', street: null, latitude: null });
      const filtered = await failure(conn.query('SELECT Id FROM Account WHERE BillingAddress != null'));
      expect(filtered.errorCode).toBe('INVALID_FIELD');
      const lead = await conn.sobject('Lead').describe();
      expect(lead.fields.find((f) => f.name === 'Address')?.type).toBe('address');
      const contact = await conn.sobject('Contact').describe();
      expect(contact.fields.find((f) => f.name === 'MailingAddress')?.type).toBe('address');
    });

    it('creates custom Location and Address fields with their components; Bulk query jobs refuse the compounds', async () => {
      const location = await conn.tooling.sobject('CustomField').create({
        FullName: 'Account.Site_Location__c',
        Metadata: { label: 'Site location', type: 'Location', scale: 4, displayLocationInDecimal: true },
      });
      expect(location.success).toBe(true);
      const address = await conn.tooling.sobject('CustomField').create({
        FullName: 'Account.HQ_Address__c',
        Metadata: { label: 'HQ address', type: 'Address' },
      });
      expect(address.success).toBe(true);
      const me = await conn.identity();
      const set = await conn.sobject('PermissionSet').create({ Name: 'compound_fields', Label: 'compound fields' });
      await conn.sobject('FieldPermissions').create(
        ['Account.Site_Location__c', 'Account.HQ_Address__c'].map((field) => ({
          ParentId: set.id,
          SobjectType: 'Account',
          Field: field,
          PermissionsRead: true,
          PermissionsEdit: true,
        })),
      );
      await conn.sobject('PermissionSetAssignment').create({ PermissionSetId: set.id, AssigneeId: me.user_id });
      const fields = (await conn.sobject('Account').describe()).fields;
      expect(fields.find((f) => f.name === 'Site_Location__c')).toMatchObject({ type: 'location', custom: true });
      expect(
        fields.filter((f) => f.compoundFieldName === 'Site_Location__c').map((f) => [f.name, f.type, f.custom]),
      ).toEqual([
        ['Site_Location__Latitude__s', 'double', true],
        ['Site_Location__Longitude__s', 'double', true],
      ]);
      expect(fields.filter((f) => f.compoundFieldName === 'HQ_Address__c').map((f) => f.name)).toEqual(
        expect.arrayContaining(['HQ_Address__Street__s', 'HQ_Address__City__s', 'HQ_Address__CountryCode__s']),
      );
      const site = await conn.sobject('Account').create({
        Name: 'Located Co',
        Site_Location__Latitude__s: 45.764,
        Site_Location__Longitude__s: 4.8357,
        HQ_Address__City__s: 'Lyon',
      });
      const rest = (
        await conn.query<Record<string, unknown>>(
          `SELECT Site_Location__c, Site_Location__Latitude__s, HQ_Address__c FROM Account WHERE Id = '${site.id}'`,
        )
      ).records[0]!;
      expect(rest.Site_Location__c).toEqual({ latitude: 45.764, longitude: 4.8357 });
      expect(rest.Site_Location__Latitude__s).toBe(45.764);
      expect(rest.HQ_Address__c).toMatchObject({ city: 'Lyon', street: null });
      const bulkJob = (query: string) =>
        fetch(`${sandbox.baseUrl}/services/data/v62.0/jobs/query`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ operation: 'query', query }),
        });
      const refused = await bulkJob('SELECT Id, Site_Location__c FROM Account');
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual([
        { errorCode: 'API_ERROR', message: 'Selecting compound data not supported in Bulk Query' },
      ]);
      const rows = (await (
        await conn.bulk2.query('SELECT Id, Site_Location__Latitude__s, Site_Location__Longitude__s FROM Account')
      ).toArray()) as Array<Record<string, string>>;
      expect(rows.find((r) => r.Id === site.id)).toEqual({
        Id: site.id,
        Site_Location__Latitude__s: '45.764',
        Site_Location__Longitude__s: '4.8357',
      });
    });
  });

  describe('details of the published contract', () => {
    it('leaves a field hidden by field-level security out of a record read, and refuses it only when named', async () => {
      await conn.tooling.sobject('CustomField').create({
        FullName: 'Contact.Hidden_Note__c',
        Metadata: { label: 'Hidden note', type: 'Text', length: 40 },
      });
      const contact = await conn.sobject('Contact').create({ LastName: 'Secretive' });
      const read = await conn.request<Record<string, unknown>>(`/services/data/v62.0/sobjects/Contact/${contact.id}`);
      expect(read.LastName).toBe('Secretive');
      expect('Hidden_Note__c' in read).toBe(false);
      const named = await failure(
        conn.request(`/services/data/v62.0/sobjects/Contact/${contact.id}?fields=LastName,Hidden_Note__c`),
      );
      expect(named.errorCode).toBe('INVALID_FIELD');
    });

    it('User has no IsDeleted; Tooling queries carry size, queryLocator and entityTypeName; userinfo its language and offset', async () => {
      const user = await conn.sobject('User').describe();
      expect(user.fields.some((f) => f.name === 'IsDeleted')).toBe(false);
      expect((await failure(conn.query('SELECT Id, IsDeleted FROM User'))).errorCode).toBe('INVALID_FIELD');
      const tooling = await conn.request<Record<string, unknown>>(
        `/services/data/v62.0/tooling/query?q=${encodeURIComponent('SELECT Id, DeveloperName FROM CustomField')}`,
      );
      expect(Object.keys(tooling).slice(0, 5)).toEqual(['size', 'totalSize', 'done', 'queryLocator', 'entityTypeName']);
      expect(tooling).toMatchObject({ done: true, queryLocator: null, entityTypeName: 'CustomField' });
      expect(tooling.size).toBe((tooling.records as unknown[]).length);
      const info = await fetch(`${sandbox.baseUrl}/services/oauth2/userinfo`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(await info.json()).toMatchObject({ language: 'en_US', utcOffset: 0, locale: 'en_US' });
    });

    // SOQL and SOSL Reference, "COUNT() and COUNT(fieldName)" and "GROUP BY"; SOAP API Developer Guide,
    // "AggregateResult": AggregateResult rows (attributes without url), `expr0` for an unaliased aggregate.
    it('answers aggregate SOQL (COUNT(Id) with an alias or expr0, WHERE, GROUP BY) with AggregateResult rows', async () => {
      const all = await conn.query<Record<string, unknown>>('SELECT Id, StageName, AccountId FROM Opportunity', {
        autoFetch: true,
        maxFetch: 100_000,
      });
      const won = all.records.filter((r) => r.StageName === 'Closed Won').length;
      const total = await conn.query<Record<string, unknown>>('SELECT COUNT(Id) FROM Opportunity');
      expect(total.totalSize).toBe(1);
      expect(total.records).toEqual([{ attributes: { type: 'AggregateResult' }, expr0: all.totalSize }]);
      const wonCount = await conn.query<Record<string, unknown>>(
        "SELECT COUNT(Id) c FROM Opportunity WHERE StageName = 'Closed Won'",
      );
      expect(wonCount.records).toEqual([{ attributes: { type: 'AggregateResult' }, c: won }]);
      const none = await conn.query<Record<string, unknown>>(
        "SELECT COUNT(Id) c FROM Opportunity WHERE StageName = 'No such stage'",
      );
      expect(none.records).toEqual([{ attributes: { type: 'AggregateResult' }, c: 0 }]);

      const byStage = await conn.query<Record<string, unknown>>(
        'SELECT StageName, COUNT(Id) c, COUNT(AccountId) FROM Opportunity GROUP BY StageName ORDER BY StageName',
      );
      const stages = [...new Set(all.records.map((r) => String(r.StageName)))].sort();
      expect(byStage.totalSize).toBe(stages.length);
      expect(byStage.records.map((r) => r.StageName)).toEqual(stages);
      for (const row of byStage.records) {
        const rows = all.records.filter((r) => r.StageName === row.StageName);
        expect(row).toEqual({
          attributes: { type: 'AggregateResult' },
          StageName: row.StageName,
          c: rows.length,
          expr0: rows.filter((r) => r.AccountId !== null).length,
        });
      }
      expect(Object.keys(byStage.records[0]!)).toEqual(['attributes', 'StageName', 'c', 'expr0']);
      const ungrouped = await failure(conn.query('SELECT Name, COUNT(Id) FROM Opportunity GROUP BY StageName'));
      expect(ungrouped.errorCode).toBe('MALFORMED_QUERY');
      expect(ungrouped.message).toContain('Field must be grouped or aggregated: Name');
      // An alias outside an aggregate query is a syntax error, as in SOQL.
      expect((await failure(conn.query('SELECT Name n FROM Opportunity'))).errorCode).toBe('MALFORMED_QUERY');
    });
  });

  describe('metadata for crm-agent fields', () => {
    it('creates custom fields through the Tooling API, hidden until a permission set grants them', async () => {
      const created = await conn.tooling.sobject('CustomField').create({
        FullName: 'Opportunity.Crm_Agent_Win_Probability__c',
        Metadata: { label: 'crm-agent win probability', type: 'Percent', precision: 5, scale: 2 },
      });
      expect(created).toMatchObject({ success: true, id: expect.stringMatching(/^00N/) });
      const key = await conn.tooling.sobject('CustomField').create({
        FullName: 'Contact.Crm_Agent_Key__c',
        Metadata: { label: 'crm-agent key', type: 'Text', length: 64, externalId: true, unique: true },
      });
      expect(key.success).toBe(true);
      const duplicate = await failure(
        conn.tooling
          .sobject('CustomField')
          .create({ FullName: 'Contact.Crm_Agent_Key__c', Metadata: { label: 'again', type: 'Text', length: 10 } }),
      );
      expect(duplicate.errorCode).toBe('DUPLICATE_DEVELOPER_NAME');
      const hidden = await failure(conn.query('SELECT Crm_Agent_Win_Probability__c FROM Opportunity LIMIT 1'));
      expect(hidden.errorCode).toBe('INVALID_FIELD');
      expect((await conn.sobject('Contact').describe()).fields.some((f) => f.name === 'Crm_Agent_Key__c')).toBe(false);
      const listed = await conn.tooling.query<{ DeveloperName: string }>(
        "SELECT Id, DeveloperName FROM CustomField WHERE TableEnumOrId = 'Contact'",
      );
      expect(listed.records.map((r) => r.DeveloperName)).toContain('Crm_Agent_Key');

      const me = await conn.identity();
      const set = await conn.sobject('PermissionSet').create({ Name: 'crm_agent', Label: 'crm-agent' });
      await conn.sobject('FieldPermissions').create([
        {
          ParentId: set.id,
          SobjectType: 'Opportunity',
          Field: 'Opportunity.Crm_Agent_Win_Probability__c',
          PermissionsRead: true,
          PermissionsEdit: true,
        },
        {
          ParentId: set.id,
          SobjectType: 'Contact',
          Field: 'Contact.Crm_Agent_Key__c',
          PermissionsRead: true,
          PermissionsEdit: true,
        },
      ]);
      await conn.sobject('PermissionSetAssignment').create({ PermissionSetId: set.id, AssigneeId: me.user_id });
      expect((await conn.query('SELECT Crm_Agent_Win_Probability__c FROM Opportunity LIMIT 1')).records).toHaveLength(
        1,
      );
      const upserted = await conn
        .sobject('Contact')
        .upsert({ Crm_Agent_Key__c: 'k-1', LastName: 'Keyed' }, 'Crm_Agent_Key__c');
      expect(upserted).toMatchObject({ success: true, created: true });
      const again = await conn
        .sobject('Contact')
        .upsert([{ Crm_Agent_Key__c: 'k-1', LastName: 'Keyed again' }], 'Crm_Agent_Key__c');
      expect(again[0]).toMatchObject({ success: true, created: false, id: upserted.id });
    });

    it('publishes platform events through /sobjects/NAME__e', async () => {
      const before = sandbox.context.events.length;
      const result = await conn
        .sobject('Crm_Agent_Signal__e')
        .create({ Record_Id__c: '006000000000001', Signal__c: 'scored' });
      expect(result).toMatchObject({ success: true, errors: [{ statusCode: 'OPERATION_ENQUEUED' }] });
      expect(sandbox.context.events.slice(before)).toEqual([
        expect.objectContaining({
          object: 'Crm_Agent_Signal__e',
          fields: expect.objectContaining({ Signal__c: 'scored' }),
        }),
      ]);
      const defined = await conn.tooling.sobject('CustomObject').create({
        FullName: 'Crm_Agent_Action__e',
        Metadata: { label: 'crm-agent action', pluralLabel: 'crm-agent actions', eventType: 'HighVolume' },
      });
      expect(defined.success).toBe(true);
      await conn.tooling
        .sobject('CustomField')
        .create({ FullName: 'Crm_Agent_Action__e.Action__c', Metadata: { label: 'Action', type: 'Text', length: 80 } });
      expect((await conn.sobject('Crm_Agent_Action__e').create({ Action__c: 'call' })).success).toBe(true);
      expect((await failure(conn.query('SELECT Id FROM Crm_Agent_Action__e'))).errorCode).toBe('INVALID_TYPE');
    });
  });

  describe('OAuth web-server flow', () => {
    it('authorizes with state and PKCE, exchanges the code, refreshes an expired session once, rotates refresh tokens, and revokes', async () => {
      sandbox.context.oauth.rotateRefreshTokens = true;
      const oauth2 = new jsforce.OAuth2({
        loginUrl: sandbox.baseUrl,
        ...SF_CLIENT,
        redirectUri: REDIRECT_URI,
        useVerifier: true,
      });
      const authorize = await fetch(oauth2.getAuthorizationUrl({ scope: 'api refresh_token id', state: 'xyz' }), {
        redirect: 'manual',
      });
      expect(authorize.status).toBe(302);
      const redirect = new URL(authorize.headers.get('location')!);
      expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT_URI);
      expect(redirect.searchParams.get('state')).toBe('xyz');
      const user = new jsforce.Connection({ oauth2, version: VERSION });
      const info = await user.authorize(redirect.searchParams.get('code')!);
      expect(info.organizationId).toBe(sandbox.state.orgId);
      expect(user.instanceUrl).toBe(sandbox.baseUrl);
      const reused = await failure(user.authorize(redirect.searchParams.get('code')!));
      expect(reused.name).toBe('invalid_grant');

      const identity = await user.identity();
      expect(identity).toMatchObject({ organization_id: sandbox.state.orgId, user_id: sandbox.ids.apiUserId });
      const firstRefreshToken = user.refreshToken!;
      const refreshes: Array<{ refresh_token?: string }> = [];
      user.on('refresh', (_token: string, res: { refresh_token?: string }) => refreshes.push(res));
      const grantsBefore = sandbox.context.oauth.grants.refresh_token;
      sandbox.control.expireSessions();
      const counts = await Promise.all([
        user.query('SELECT COUNT() FROM Account'),
        user.query('SELECT COUNT() FROM Contact'),
        user.query('SELECT COUNT() FROM Lead'),
      ]);
      expect(counts.every((c) => c.totalSize > 0)).toBe(true);
      expect(sandbox.context.oauth.grants.refresh_token - grantsBefore).toBe(1);
      expect(refreshes).toHaveLength(1);
      expect(refreshes[0]!.refresh_token).toMatch(/^5Aep861/);
      expect(refreshes[0]!.refresh_token).not.toBe(firstRefreshToken);
      const stale = await failure(
        new jsforce.OAuth2({ loginUrl: sandbox.baseUrl, ...SF_CLIENT }).refreshToken(firstRefreshToken),
      );
      expect(stale.name).toBe('invalid_grant');

      const badVerifier = new jsforce.OAuth2({
        loginUrl: sandbox.baseUrl,
        ...SF_CLIENT,
        redirectUri: REDIRECT_URI,
        useVerifier: true,
      });
      const code = new URL(
        (await fetch(oauth2.getAuthorizationUrl({ scope: 'api refresh_token' }), { redirect: 'manual' })).headers.get(
          'location',
        )!,
      ).searchParams.get('code')!;
      expect((await failure(badVerifier.requestToken(code))).name).toBe('invalid_grant');

      // jsforce keeps the first refresh token after a rotation (the caller must store res.refresh_token): revoke the
      // current one by hand; its sessions end with it.
      const current = refreshes[0]!.refresh_token!;
      await oauth2.revokeToken(current);
      expect(
        (await failure(new jsforce.OAuth2({ loginUrl: sandbox.baseUrl, ...SF_CLIENT }).refreshToken(current))).name,
      ).toBe('invalid_grant');
      const revoked = await fetch(`${sandbox.baseUrl}/services/data/v62.0/limits`, {
        headers: { authorization: `Bearer ${user.accessToken}` },
      });
      expect(revoked.status).toBe(401);
      sandbox.context.oauth.rotateRefreshTokens = false;
      // expireSessions() ended the static session the other tests use too: give it back.
      sandbox.context.oauth.addStaticToken(TOKEN);
    });
  });

  describe('@salesforce/core', () => {
    const home = tempDir('sf-home-');
    afterAll(() => home.remove());

    it('its Connection, built from an access token, queries the sandbox', async () => {
      // @salesforce/core keeps state under the home directory: run it in a child process with a home of its own.
      const script = `
        import { AuthInfo, Connection } from '@salesforce/core';
        const [url, token] = process.argv.slice(1);
        const authInfo = await AuthInfo.create({ accessTokenOptions: { accessToken: token, instanceUrl: url, loginUrl: url } });
        const conn = await Connection.create({ authInfo });
        const max = await conn.retrieveMaxApiVersion();
        conn.setApiVersion('62.0');
        const contacts = await conn.autoFetchQuery('SELECT Id FROM Contact');
        const org = await conn.singleRecordQuery('SELECT Name FROM Organization');
        console.log(JSON.stringify({ max, contacts: contacts.records.length, org: org.Name }));
      `;
      const child = spawnProcess(
        process.execPath,
        ['--input-type=module', '--no-warnings', '-e', script, sandbox.baseUrl, TOKEN],
        {
          HOME: home.path,
          SF_DISABLE_TELEMETRY: 'true',
        },
      );
      expect({ status: await child.exited(), stderr: child.stderr() }).toEqual({ status: 0, stderr: '' });
      expect(JSON.parse(child.stdout())).toEqual({
        max: '62.0',
        contacts: sandbox.control.records('Contact').length,
        org: 'Sandbox Org 11',
      });
    });
  });
});

describe('Salesforce sandbox contract: the daily allocation', () => {
  it('reports usage in Sforce-Limit-Info and refuses past the allocation with 403 REQUEST_LIMIT_EXCEEDED', async () => {
    const sandbox = await startSandbox({ dailyLimit: 5, contacts: 50, accounts: 5, opportunities: 5 });
    try {
      const conn = connect(sandbox);
      for (let i = 1; i <= 5; i++) {
        await conn.query('SELECT Id FROM Account LIMIT 1');
        expect(conn.limitInfo.apiUsage).toEqual({ used: i, limit: 5 });
      }
      const refused = await fetch(`${sandbox.baseUrl}/services/data/v62.0/limits`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(refused.status).toBe(403);
      expect(refused.headers.get('sforce-limit-info')).toBe('api-usage=5/5');
      expect(await refused.json()).toEqual([
        { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
      ]);
      sandbox.control.setLimits({ enabled: false });
      await conn.query('SELECT Id FROM Account LIMIT 1');
      expect(conn.limitInfo.apiUsage).toEqual({ used: 6, limit: 5 });
    } finally {
      await sandbox.close();
    }
  });
});

describe('Salesforce sandbox contract: control endpoints', () => {
  it('plays users editing the org over HTTP, and exports the ground truth with the ids it landed under', async () => {
    const sandbox = await startSandbox({ contacts: 100, accounts: 10, opportunities: 20 });
    try {
      const post = (op: string, body: unknown) =>
        fetch(`${sandbox.baseUrl}/__sandbox/${op}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const edited = (await (await post('edit', { object: 'Opportunity', count: 3, seed: 1 })).json()) as {
        ids: string[];
      };
      expect(edited.ids).toHaveLength(3);
      const tied = (await (await post('mass-update', { object: 'Contact', count: 20, seed: 2 })).json()) as {
        ids: string[];
      };
      const stamps = new Set(tied.ids.map((id) => sandbox.state.get('Contact', id)!.SystemModstamp));
      expect(stamps.size).toBe(1);
      expect((await post('delete', { object: 'Lead', count: 2 })).status).toBe(200);
      expect((await post('nonsense', {})).status).toBe(404);
      expect((await fetch(`${sandbox.baseUrl}/__sandbox/edit`, { method: 'POST', body: '{not json' })).status).toBe(
        400,
      );
      const truth = (await (await fetch(`${sandbox.baseUrl}/__sandbox/ground-truth`)).json()) as {
        deals: Array<{ id: string; winProbability: number }>;
        contacts: Array<{ object: string; segment: string }>;
        truth: { segments: unknown[] };
      };
      expect(truth.deals).toHaveLength(20);
      expect(truth.deals[0]!.id).toMatch(/^006/);
      expect(new Set(truth.contacts.map((c) => c.object))).toEqual(new Set(['Contact', 'Lead']));
      expect(truth.truth.segments).toHaveLength(5);
    } finally {
      await sandbox.close();
    }
  });
});

describe('Salesforce sandbox contract: sessions', () => {
  it('ends a session after the idle timeout (401 INVALID_SESSION_ID); use keeps it alive; the refresh token still works', async () => {
    const clock = new FixedClock(Date.parse('2026-11-24T09:00:00.000Z'));
    const sandbox = await startSandbox({
      clock,
      sessionTimeoutMs: 2 * 3_600_000,
      contacts: 50,
      accounts: 5,
      opportunities: 5,
    });
    try {
      const oauth2 = new jsforce.OAuth2({ loginUrl: sandbox.baseUrl, ...SF_CLIENT, redirectUri: REDIRECT_URI });
      const redirect = await fetch(oauth2.getAuthorizationUrl({ scope: 'api refresh_token' }), { redirect: 'manual' });
      const tokens = await oauth2.requestToken(new URL(redirect.headers.get('location')!).searchParams.get('code')!);
      const call = (token: string) =>
        fetch(`${sandbox.baseUrl}/services/data/v62.0/limits`, { headers: { authorization: `Bearer ${token}` } }).then(
          (r) => r.status,
        );
      clock.advance(90 * 60_000);
      expect(await call(tokens.access_token)).toBe(200);
      clock.advance(90 * 60_000);
      expect(await call(tokens.access_token)).toBe(200);
      clock.advance(2 * 3_600_000 + 1000);
      expect(await call(tokens.access_token)).toBe(401);
      const renewed = await oauth2.refreshToken(tokens.refresh_token!);
      expect(renewed.refresh_token).toBeUndefined();
      expect(await call(renewed.access_token)).toBe(200);
    } finally {
      await sandbox.close();
    }
  });
});

describe('Salesforce sandbox contract: outbound messages', () => {
  let receiver: Server;
  let url: string;
  const received: string[] = [];
  let failFirst = 2;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        received.push(body);
        if (failFirst-- > 0) {
          res.writeHead(500).end('busy');
          return;
        }
        res.writeHead(200, { 'content-type': 'text/xml' }).end(OUTBOUND_ACK);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/salesforce/outbound`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it('sends SOAP notifications (≤ 100 each) for API and user edits, and retries until acknowledged', async () => {
    const clock = new FixedClock(Date.parse('2026-11-24T09:00:00.000Z'));
    const sandbox = await startSandbox({ clock, outboundUrl: url, contacts: 300, accounts: 20, opportunities: 20 });
    try {
      const edited = sandbox.control.massUpdate({ object: 'Contact', count: 150, seed: 2 });
      await connect(sandbox).sobject('Account').create({ Name: 'Outbound Co' });
      await sandbox.outbound!.idle();
      const deliveries = sandbox.outbound!.deliveries;
      expect(deliveries.slice(0, 2).map((d) => d.acknowledged)).toEqual([false, false]);
      const acked = deliveries.filter((d) => d.acknowledged);
      expect(acked.map((d) => [d.object, d.notificationIds.length])).toEqual([
        ['Contact', 100],
        ['Contact', 50],
        ['Account', 1],
      ]);
      expect(sandbox.outbound!.pending()).toBe(0);
      const envelope = received[0]!;
      expect(envelope).toContain('<notifications xmlns="http://soap.sforce.com/2005/09/outbound">');
      expect(envelope).toContain(`<OrganizationId>${sandbox.state.orgId}</OrganizationId>`);
      expect(envelope).toContain(`<sf:Id>${edited[0]}</sf:Id>`);
      expect((envelope.match(/<Notification>/g) ?? []).length).toBe(100);
      // Two refusals, retried 15 s and then 30 s later on the sandbox's clock.
      expect(clock.now() - Date.parse('2026-11-24T09:00:00.000Z')).toBe(45_000);
    } finally {
      await sandbox.close();
    }
  });

  it('honours the rule criterion: saves by the user the formula leaves out send nothing, everyone else’s do', async () => {
    failFirst = 0;
    const sandbox = await startSandbox({ contacts: 60, accounts: 10, opportunities: 20 });
    try {
      expect(() =>
        sandbox.configureOutboundMessage(url, { ruleFormula: 'ISCHANGED(StageName) && $User.Id <> "x"' }),
      ).toThrow(/does not play this rule formula/);
      // As crm-agent's metadata writes it, with the API user's 15-character id (Setup shows that form).
      const messenger = sandbox.configureOutboundMessage(url, {
        ruleFormula: `CASESAFEID($User.Id) <> "${sandbox.ids.apiUserId.slice(0, 15)}"`,
      });
      const opportunity = [...sandbox.state.table('Opportunity').values()].find((o) => o.IsDeleted !== true)!;
      const id = String(opportunity.Id);
      const before = received.length;
      await connect(sandbox).sobject('Opportunity').update({ Id: id, Description: 'written by the API user' });
      await connect(sandbox).sobject('Account').create({ Name: 'Created by the API user' });
      await messenger.idle();
      expect(messenger.filtered).toBe(2);
      expect(messenger.deliveries).toEqual([]);
      expect(received.length).toBe(before);

      sandbox.control.edit({ object: 'Opportunity', ids: [id], fields: { Amount: 12_345 } });
      await messenger.idle();
      expect(messenger.deliveries.map((d) => [d.object, d.notificationIds.length, d.acknowledged])).toEqual([
        ['Opportunity', 1, true],
      ]);
      expect(received.at(-1)).toContain(`<sf:Id>${id}</sf:Id>`);
      expect(sandbox.state.get('Opportunity', id)!.LastModifiedById).not.toBe(sandbox.ids.apiUserId);
    } finally {
      await sandbox.close();
    }
  });
});
