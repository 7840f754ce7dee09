/**
 * A time as the getUpdated / getDeleted resources take it: `YYYY-MM-DDThh:mm:ss+00:00`, UTC, whole seconds, no
 * milliseconds and no `Z` (the form Salesforce documents in "Get Deleted Records Within a Given Timeframe",
 * developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm, and the one jsforce's
 * `formatDate` sends, jsforce/jsforce src/util/formatter.ts). Salesforce ignores the seconds anyway.
 */
export function replicationDate(ms: number): string {
  if (!Number.isFinite(ms)) throw new Error(`not a time: ${ms}`);
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}+00:00`;
}
