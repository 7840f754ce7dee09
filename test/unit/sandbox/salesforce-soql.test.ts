import { describe, expect, it } from '@jest/globals';
import { createSalesforceSandbox } from '../../../sandbox/salesforce/create-salesforce-sandbox.js';
import type { SalesforceError } from '../../../sandbox/salesforce/errors.js';
import { idSuffix, makeId, normalizeId } from '../../../sandbox/salesforce/ids.js';
import { dateKeywordRange } from '../../../sandbox/salesforce/soql/date-literals.js';
import { evaluateQuery } from '../../../sandbox/salesforce/soql/evaluate.js';
import { parseSoql } from '../../../sandbox/salesforce/soql/parse.js';
import { FixedClock } from '../../helpers/fixed-clock.js';

const clock = new FixedClock(Date.parse('2026-11-24T09:00:00.000Z'));
const sandbox = createSalesforceSandbox({
  clock,
  seed: 4,
  accounts: 30,
  contacts: 300,
  opportunities: 80,
  asOf: '2026-11-01T00:00:00.000Z',
});
const run = (soql: string, includeDeleted = false) =>
  evaluateQuery(sandbox.state, parseSoql(soql), { userId: sandbox.ids.apiUserId, includeDeleted, version: '62.0' });
const error = (soql: string): SalesforceError => {
  try {
    run(soql);
  } catch (e) {
    return e as SalesforceError;
  }
  throw new Error('expected an error');
};

describe('Salesforce ids', () => {
  it('builds 18-character ids whose suffix encodes the upper-case letters, and normalises 15-character ones', () => {
    // 001D0 → D at position 3 → 8 → 'I'; 00000 → 'A'; IRFma → I, R, F at 0–2 → 7 → 'H'.
    expect(idSuffix('001D000000IRFma')).toBe('IAH');
    const id = makeId('003', 'd0', 123_456);
    expect(id).toMatch(/^003d0[0-9A-Za-z]{10}[A-Z0-5]{3}$/);
    expect(normalizeId(id.slice(0, 15))).toBe(id);
    expect(normalizeId(id.toLowerCase().slice(0, 15))).not.toBe(id);
    expect(normalizeId('not-an-id')).toBeUndefined();
    expect(makeId('003', 'd0', 5) < makeId('003', 'd0', 62)).toBe(true);
  });
});

describe('the SOQL subset', () => {
  it('reads relationship fields one level deep, and refuses a second level', () => {
    const [row] = run('SELECT Id, Account.Name, Owner.Email FROM Contact LIMIT 1').records;
    expect(row).toMatchObject({
      Account: { Name: expect.any(String) },
      Owner: { Email: expect.stringContaining('@') },
    });
    expect(error('SELECT Account.Owner.Email FROM Contact').errorCode).toBe('INVALID_FIELD');
  });

  it('compares strings case-insensitively, LIKE with % and _, NOT and NULL checks, NULLS LAST, OFFSET', () => {
    const contact = sandbox.control.records('Contact')[0]!;
    const email = String(contact.Email);
    expect(run(`SELECT Id FROM Contact WHERE Email = '${email.toUpperCase()}'`).records.map((r) => r.Id)).toEqual([
      contact.Id,
    ]);
    const prefix = email.slice(0, 4);
    const like = run(`SELECT Email FROM Contact WHERE Email LIKE '${prefix}%'`).records;
    expect(like.length).toBeGreaterThan(0);
    expect(like.every((r) => String(r.Email).startsWith(prefix))).toBe(true);
    const withTitle = run('SELECT COUNT() FROM Contact WHERE Title != null').totalSize;
    const withoutTitle = run('SELECT COUNT() FROM Contact WHERE NOT (Title != null)').totalSize;
    expect(withTitle + withoutTitle).toBe(sandbox.control.records('Contact').length);
    expect(withoutTitle).toBeGreaterThan(0);
    const ordered = run('SELECT Title FROM Contact ORDER BY Title DESC NULLS LAST').records;
    expect(ordered.at(-1)!.Title).toBeNull();
    const page = run('SELECT Id FROM Contact ORDER BY Id LIMIT 5 OFFSET 5').records;
    expect(page.map((r) => r.Id)).toEqual(
      run('SELECT Id FROM Contact ORDER BY Id LIMIT 10')
        .records.slice(5)
        .map((r) => r.Id),
    );
  });

  it('keysets on (SystemModstamp, Id) so rows sharing a timestamp are split without loss', () => {
    const all = run('SELECT Id, SystemModstamp FROM Contact ORDER BY SystemModstamp, Id').records;
    const stamps = new Map<string, number>();
    for (const r of all) stamps.set(String(r.SystemModstamp), (stamps.get(String(r.SystemModstamp)) ?? 0) + 1);
    const [tied, count] = [...stamps.entries()].sort((a, b) => b[1] - a[1])[0]!;
    expect(count).toBeGreaterThan(50);
    const middle = all.findIndex((r) => r.SystemModstamp === tied) + 10;
    const pivot = all[middle]!;
    const t = String(pivot.SystemModstamp).replace('.000+0000', 'Z');
    const rest = run(
      `SELECT Id FROM Contact WHERE (SystemModstamp > ${t} OR (SystemModstamp = ${t} AND Id > '${pivot.Id}')) ORDER BY SystemModstamp, Id`,
    ).records;
    expect(rest.map((r) => r.Id)).toEqual(all.slice(middle + 1).map((r) => r.Id));
  });

  it('understands date literals and keywords against date and datetime fields', () => {
    const now = Date.parse('2026-11-24T09:00:00.000Z');
    expect(dateKeywordRange('TODAY', undefined, now)).toEqual([Date.parse('2026-11-24'), Date.parse('2026-11-25')]);
    expect(dateKeywordRange('LAST_N_DAYS', 7, now)).toEqual([Date.parse('2026-11-17'), Date.parse('2026-11-25')]);
    expect(dateKeywordRange('THIS_QUARTER', undefined, now)).toEqual([
      Date.parse('2026-10-01'),
      Date.parse('2027-01-01'),
    ]);
    const recent = run('SELECT COUNT() FROM Opportunity WHERE CloseDate = LAST_N_DAYS:365').totalSize;
    const byDate = run(
      'SELECT COUNT() FROM Opportunity WHERE CloseDate >= 2025-11-24 AND CloseDate <= 2026-11-24',
    ).totalSize;
    expect(recent).toBe(byDate);
    expect(run('SELECT COUNT() FROM Contact WHERE CreatedDate < 2026-11-01T00:00:00+01:00').totalSize).toBe(
      run('SELECT COUNT() FROM Contact WHERE CreatedDate < 2026-10-31T23:00:00Z').totalSize,
    );
  });

  it('escapes quotes in string literals and refuses literals of the wrong type', () => {
    expect(run("SELECT COUNT() FROM Account WHERE Name = 'O\\'Brien'").totalSize).toBe(0);
    expect(error("SELECT Id FROM Contact WHERE Email_Opens__c > '3'").errorCode).toBe('INVALID_FIELD');
    expect(error("SELECT Id FROM Contact WHERE Id = 'abc'").errorCode).toBe('INVALID_QUERY_FILTER_OPERATOR');
    expect(error('SELECT Id FROM Contact WHERE IsDeleted = 1').errorCode).toBe('INVALID_FIELD');
    expect(error("SELECT Id FROM Contact WHERE Name = 'unterminated").errorCode).toBe('MALFORMED_QUERY');
    expect(error('SELECT Id FROM Contact LIMIT 5 OFFSET 3000').errorCode).toBe('NUMBER_OUTSIDE_VALID_RANGE');
  });

  it('computes formula fields when read; they do not move SystemModstamp', () => {
    const [row] = run(
      'SELECT Id, Email_Opens__c, Page_Views__c, Engagement_Score__c, SystemModstamp FROM Contact LIMIT 1',
    ).records;
    expect(row!.Engagement_Score__c).toBe(Number(row!.Email_Opens__c) * 2 + Number(row!.Page_Views__c));
    const [opp] = run(
      'SELECT Id, Days_Open__c, SystemModstamp FROM Opportunity WHERE IsClosed = false LIMIT 1',
    ).records;
    clock.advance(86_400_000);
    const [later] = run(`SELECT Id, Days_Open__c, SystemModstamp FROM Opportunity WHERE Id = '${opp!.Id}'`).records;
    expect(Number(later!.Days_Open__c) - Number(opp!.Days_Open__c)).toBe(1);
    expect(later!.SystemModstamp).toBe(opp!.SystemModstamp);
  });
});
