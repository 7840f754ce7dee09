/**
 * A fetch that calls `count` once for every request the CRM answered (any status: the CRM counted it), so the
 * dashboard's "API calls today" includes every read and write a connector makes, not only a sync's.
 */
export function countRequests(fetchImpl: typeof fetch, count: () => void): typeof fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    count();
    return response;
  };
}
