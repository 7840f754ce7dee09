import { describe, expect, it } from '@jest/globals';
import { ApiBudget, memoryLedger } from '../../../connectors/salesforce/budget.js';
import { SalesforceClient } from '../../../connectors/salesforce/client.js';
import { parseCsv, parseCsvObjects } from '../../../connectors/salesforce/csv.js';
import { CONTACT, domainOf, isoDateTime, LEAD, mapStageHistory } from '../../../connectors/salesforce/map.js';
import { parseSettings } from '../../../connectors/salesforce/settings.js';
import {
  after,
  changedSince,
  dateTimeLiteral,
  idLiteral,
  name,
  quote,
  select,
} from '../../../connectors/salesforce/soql.js';
import { BudgetExhaustedError } from '../../../src/lib/errors.js';
import { createLogger } from '../../../src/lib/logger.js';
import { FixedClock } from '../../helpers/fixed-clock.js';

const settings = parseSettings({});

describe('Salesforce connector: SOQL building', () => {
  it('escapes string literals and refuses anything that is not an id or an API name', () => {
    expect(quote("O'Brien \\ \n")).toBe("'O\\'Brien \\\\ \\n'");
    expect(() => idLiteral("001' OR Name != '")).toThrow('not a Salesforce id');
    expect(() => name('Name) FROM User --')).toThrow('not an API name');
    expect(dateTimeLiteral('2026-11-24T09:00:00.750Z')).toBe('2026-11-24T09:00:00Z');
    expect(
      select({
        fields: ['Id', 'Name'],
        object: 'Account',
        where: [undefined, 'IsDeleted = false'],
        orderBy: ['Id'],
        limit: 5,
      }),
    ).toBe('SELECT Id, Name FROM Account WHERE IsDeleted = false ORDER BY Id ASC LIMIT 5');
  });

  it('keysets on (timestamp, Id), and skips the rows at a settled watermark second a pass already read', () => {
    expect(after('SystemModstamp', { ts: '2026-11-24T09:00:00.000Z', id: '003000000000001' })).toBe(
      "(SystemModstamp > 2026-11-24T09:00:00Z OR (SystemModstamp = 2026-11-24T09:00:00Z AND Id > '003000000000001'))",
    );
    const watermark = { ts: '2026-11-24T09:00:00.000Z', id: '003000000000001' };
    // Read an hour after that second: nothing can still be stamped with it.
    expect(
      changedSince(
        'SystemModstamp',
        '2026-11-24T08:55:00.000Z',
        { ...watermark, readAt: '2026-11-24T10:00:00.000Z' },
        300,
      ),
    ).toBe(
      "((SystemModstamp >= 2026-11-24T08:55:00Z AND SystemModstamp < 2026-11-24T09:00:00Z) OR SystemModstamp > 2026-11-24T09:00:00Z OR (SystemModstamp = 2026-11-24T09:00:00Z AND Id > '003000000000001'))",
    );
    // Read within the overlap: an edit in that same second after the read would share the timestamp; read it all again.
    expect(
      changedSince(
        'SystemModstamp',
        '2026-11-24T08:55:00.000Z',
        { ...watermark, readAt: '2026-11-24T09:00:30.000Z' },
        300,
      ),
    ).toBe('SystemModstamp >= 2026-11-24T08:55:00Z');
  });
});

describe('Salesforce connector: CSV of Bulk API results', () => {
  it('reads quoted fields, doubled quotes, newlines in fields, CRLF, empty cells and a BOM', () => {
    expect(parseCsv('\ufeff"Id","Name","Notes"\r\n"1","Acme, ""Inc""","line1\nline2"\r\n"2",,""\n')).toEqual([
      ['Id', 'Name', 'Notes'],
      ['1', 'Acme, "Inc"', 'line1\nline2'],
      ['2', '', ''],
    ]);
    expect(parseCsvObjects('"a","b"\n"1",\n')).toEqual([{ a: '1', b: '' }]);
    expect(() => parseCsv('"unterminated')).toThrow('not closed');
  });
});

describe('Salesforce connector: mapping', () => {
  it("reads Salesforce's timestamps and dates as ISO-8601 UTC, and websites as domains", () => {
    expect(isoDateTime('2026-11-24T09:00:00.000+0000')).toBe('2026-11-24T09:00:00.000Z');
    expect(isoDateTime('2026-11-24T10:00:00.000+0100')).toBe('2026-11-24T09:00:00.000Z');
    expect(isoDateTime('2026-11-24')).toBe('2026-11-24T00:00:00.000Z');
    expect(domainOf('https://www.Acme.example.com/about')).toBe('acme.example.com');
    expect(domainOf('acme.io')).toBe('acme.io');
    expect(domainOf(null)).toBeNull();
  });

  it('maps contacts with their company association; deleted and merged rows become removals; bad rows are reported', () => {
    const base = {
      IsDeleted: false,
      CreatedDate: '2026-01-01T00:00:00.000+0000',
      LastModifiedDate: '2026-02-01T00:00:00.000+0000',
      SystemModstamp: '2026-02-01T00:00:00.000+0000',
    };
    const mapped = CONTACT.map(
      [
        {
          ...base,
          Id: '003000000000001AAA',
          LastName: 'Lovelace',
          Email: 'ada@example.com',
          AccountId: '001000000000001AAA',
          Email_Opens__c: 4,
          Page_Views__c: null,
          Phone: '+1',
        },
        { ...base, Id: '003000000000002AAA', LastName: 'Gone', IsDeleted: true, MasterRecordId: '003000000000001AAA' },
        { ...base, Id: '003000000000003AAA', LastName: 'Broken', Email_Opens__c: 'lots' },
      ],
      settings,
    );
    expect(mapped.changes.contacts).toEqual([
      expect.objectContaining({
        id: '003000000000001AAA',
        crmObject: 'Contact',
        email: 'ada@example.com',
        companyId: '001000000000001AAA',
        emailOpens: 4,
        pageViews: null,
        updatedAt: '2026-02-01T00:00:00.000Z',
        properties: { Phone: '+1' },
      }),
    ]);
    expect(mapped.changes.removals).toEqual([
      { type: 'contact', id: '003000000000002AAA', at: '2026-02-01T00:00:00.000Z', mergedInto: '003000000000001AAA' },
    ]);
    expect(mapped.changes.associations).toEqual([
      {
        fromType: 'contact',
        fromIds: ['003000000000001AAA'],
        toType: 'company',
        links: [
          {
            fromType: 'contact',
            fromId: '003000000000001AAA',
            toType: 'company',
            toId: '001000000000001AAA',
            label: '',
          },
        ],
      },
    ]);
    expect(mapped.rejected).toEqual([
      { type: 'contact', id: '003000000000003AAA', reason: expect.stringContaining('Email_Opens__c') },
    ]);
  });

  it('archives a converted lead as merged into the contact it became', () => {
    const mapped = LEAD.map(
      [
        {
          Id: '00Q000000000001AAA',
          IsDeleted: false,
          SystemModstamp: '2026-03-01T00:00:00.000+0000',
          LastName: 'L',
          IsConverted: true,
          ConvertedContactId: '003000000000009AAA',
        },
      ],
      settings,
    );
    expect(mapped.changes.contacts).toEqual([]);
    expect(mapped.changes.removals).toEqual([
      { type: 'contact', id: '00Q000000000001AAA', at: '2026-03-01T00:00:00.000Z', mergedInto: '003000000000009AAA' },
    ]);
  });

  it('keeps only the OpportunityHistory snapshots where the stage changed', () => {
    const row = (id: string, stage: string, at: string, amount = 100) => ({
      Id: id,
      OpportunityId: '006000000000001AAA',
      StageName: stage,
      Amount: amount,
      CreatedDate: at,
    });
    const { changes } = mapStageHistory([
      row('008000000000001', 'Prospecting', '2026-01-01T00:00:00.000+0000'),
      row('008000000000002', 'Prospecting', '2026-01-05T00:00:00.000+0000', 200),
      row('008000000000003', 'Closed Won', '2026-02-01T00:00:00.000+0000', 200),
    ]);
    expect(changes.stageHistory?.map((s) => [s.stage, s.enteredAt, s.amount])).toEqual([
      ['Prospecting', '2026-01-01T00:00:00.000Z', 100],
      ['Closed Won', '2026-02-01T00:00:00.000Z', 200],
    ]);
  });
});

describe('Salesforce connector: the daily share', () => {
  it('lets the first request learn the allocation, then stops at the share; usage persists across budgets', async () => {
    const ledger = memoryLedger();
    const budget = new ApiBudget({ ledger, key: 'k', share: 0.1 });
    await budget.take();
    budget.observe('api-usage=10/50');
    for (let i = 0; i < 4; i++) await budget.take();
    await expect(budget.take()).rejects.toBeInstanceOf(BudgetExhaustedError);
    expect(await ledger.usage('k', 86_400_000)).toEqual({ requests: 5, allocation: 50 });
    await expect(new ApiBudget({ ledger, key: 'k', share: 0.1 }).take()).rejects.toThrow(/its 10 % share \(5\)/);
  });

  it('stops when the org as a whole has used its allocation, whatever crm-agent has used', async () => {
    const budget = new ApiBudget({ ledger: memoryLedger(), key: 'k', share: 0.5 });
    await budget.take();
    budget.observe('api-usage=1000/1000');
    await expect(budget.take()).rejects.toThrow(/whole daily API allocation \(1000\/1000/);
  });

  it('reads a bad tenant setting as its default, warning with its name, and keeps the good ones', () => {
    const warned: string[] = [];
    const warn = (_details: unknown, message: string) => warned.push(message);
    expect(parseSettings({ salesforce: { apiShare: 0.25 } }, warn).apiShare).toBe(0.25);
    const read = parseSettings({ salesforce: { apiShare: 2, batchSize: 50, bulkThreshold: 500 } }, warn);
    expect(read).toMatchObject({ apiShare: 0.1, batchSize: 2000, bulkThreshold: 500 });
    expect(warned).toEqual([
      'tenant setting salesforce.apiShare is not valid (expected at most 0.5); using 0.1',
      'tenant setting salesforce.batchSize is not valid (expected at least 200); using 2000',
    ]);
  });
});

describe('Salesforce connector: expired sessions', () => {
  const invalidSession = {
    status: 401,
    body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }],
  };
  const busy = { status: 503, body: [{ message: 'Server busy', errorCode: 'SERVER_UNAVAILABLE' }] };

  function scripted(answers: Array<{ status: number; body: unknown }>) {
    const sent: string[] = [];
    let token = 'session-1';
    let refreshes = 0;
    const client = new SalesforceClient({
      tokens: {
        accessToken: async () => token,
        refreshAfterRejection: async () => {
          refreshes++;
          token = `session-${refreshes + 1}`;
          return token;
        },
      },
      fetch: (async (_input: string | URL | Request, init?: RequestInit) => {
        sent.push(String((init?.headers as Record<string, string> | undefined)?.authorization));
        const answer = answers.shift() ?? { status: 200, body: { ok: true } };
        return new Response(JSON.stringify(answer.body), { status: answer.status });
      }) as typeof fetch,
      clock: new FixedClock(),
      logger: createLogger({ level: 'silent', format: 'json' }),
      instanceUrl: () => 'https://org.my.salesforce.test',
      budget: new ApiBudget({ ledger: memoryLedger(), key: 'k', share: 1 }),
      random: () => 0.5,
    });
    return { client, sent, refreshes: () => refreshes };
  }

  it('a request retrying transient failures that outlives several sessions refreshes on every expiry', async () => {
    const { client, sent, refreshes } = scripted([invalidSession, busy, invalidSession, busy, invalidSession]);
    expect(await client.json({ method: 'GET', url: '/services/data/v66.0/limits' })).toEqual({ ok: true });
    expect(refreshes()).toBe(3);
    expect(sent).toEqual([
      'Bearer session-1',
      'Bearer session-2',
      'Bearer session-2',
      'Bearer session-3',
      'Bearer session-3',
      'Bearer session-4',
    ]);
  });

  it('stops after five refreshes when the org keeps refusing the session', async () => {
    const { client, refreshes } = scripted(Array.from({ length: 8 }, () => invalidSession));
    await expect(client.json({ method: 'GET', url: '/services/data/v66.0/limits' })).rejects.toThrow(
      /401 INVALID_SESSION_ID/,
    );
    expect(refreshes()).toBe(5);
  });
});
