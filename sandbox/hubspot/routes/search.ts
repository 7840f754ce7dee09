import { type Request, type Response, Router } from 'express';
import { validationError } from '../errors.js';
import { DEFAULT_PROPERTIES } from '../object-types.js';
import { compileFilterGroups, compileQuery, compileSort, SEARCH_LIMITS } from '../search-index.js';
import { body, objectScopes, objectType, requireScope, type SandboxContext } from './context.js';

/**
 * `POST /crm/v3/objects/{type}/search` (and the date-versioned path): filter groups with HubSpot's operators,
 * one sort, pages of at most 200, an `after` offset, and no paging past 10,000 results. It reads the search
 * index, which may trail the records (`--search-lag-ms`); archived records are never found.
 */
export function searchRoutes(ctx: SandboxContext): Router {
  const router = Router();
  const handler = (req: Request, res: Response) => {
    const type = objectType(req.params.type);
    requireScope(req, objectScopes(type, 'read'));
    const b = body<{
      filterGroups?: unknown;
      sorts?: unknown;
      query?: unknown;
      properties?: unknown;
      limit?: unknown;
      after?: unknown;
    }>(req);
    const lookup = (name: string) => ctx.state.properties.get(type, name);
    const limit = b.limit === undefined ? 10 : Number(b.limit);
    if (!Number.isInteger(limit) || limit < 0)
      throw validationError(`limit must be a non-negative integer (got ${String(b.limit)}).`);
    if (limit > SEARCH_LIMITS.pageSize) {
      throw validationError(`limit must be less than or equal to ${SEARCH_LIMITS.pageSize} (got ${limit}).`);
    }
    const after = b.after === undefined || b.after === null || b.after === '' ? 0 : Number(b.after);
    if (!Number.isInteger(after) || after < 0)
      throw validationError(`after must be a numeric offset (got ${String(b.after)}).`);
    if (after >= SEARCH_LIMITS.totalResults) {
      throw validationError(
        `Cannot page past ${SEARCH_LIMITS.totalResults} results: after=${after}. Narrow the query (e.g. a new query with a greater lower bound) instead.`,
        { subCategory: 'SearchError.MAX_RESULTS_EXCEEDED' },
      );
    }
    if (typeof b.query === 'string' && b.query.length > 3000)
      throw validationError('query may be at most 3000 characters.');
    const matches = compileFilterGroups(b.filterGroups, lookup);
    const text = compileQuery(b.query);
    const sort = compileSort(b.sorts, lookup);
    const matching = [];
    for (const doc of ctx.state.index.documents(type)) if (matches(doc) && text(doc)) matching.push(doc);
    const found = sort(matching);
    const end = Math.min(after + limit, found.length, SEARCH_LIMITS.totalResults);
    const names =
      Array.isArray(b.properties) && b.properties.length > 0 ? b.properties.map(String) : DEFAULT_PROPERTIES[type];
    const results = found.slice(after, end).map((doc) => {
      const properties: Record<string, string | null> = {};
      for (const name of new Set([...names, 'hs_object_id', 'createdate', 'hs_lastmodifieddate', 'lastmodifieddate'])) {
        if (lookup(name)) properties[name] = doc.properties[name] ?? null;
      }
      return {
        id: String(doc.id),
        properties,
        createdAt: new Date(doc.createdAt).toISOString(),
        updatedAt: new Date(doc.updatedAt).toISOString(),
        archived: false,
      };
    });
    res.json({
      total: found.length,
      results,
      // Like HubSpot, the page that reaches 10,000 still offers a next page; asking for it is the 400.
      ...(end < found.length ? { paging: { next: { after: String(end) } } } : {}),
    });
  };
  router.post('/crm/v3/objects/:type/search', handler);
  router.post('/crm/objects/2026-03/:type/search', handler);
  return router;
}
