import { Router } from 'express';
import { HubSpotHttpError, notFound } from '../errors.js';
import { body, type SandboxContext } from './context.js';

/**
 * HubSpot's OAuth endpoints: the authorize page (approves at once and redirects with `code` and `state`), the
 * token endpoint at the legacy v1 path and the 2026-03 path, token metadata, introspection and revocation.
 */
export function oauthRoutes(ctx: SandboxContext): Router {
  const router = Router();
  const { tokens } = ctx.state;

  router.get('/oauth/authorize', (req, res) => {
    const { redirect } = tokens.authorize(req.query as Record<string, unknown>);
    res.redirect(302, redirect);
  });

  router.post('/oauth/v1/token', (req, res) => {
    res.json(tokens.token(body(req), 'v1'));
  });
  router.post('/oauth/2026-03/token', (req, res) => {
    res.json(tokens.token(body(req), '2026-03'));
  });

  router.get('/oauth/v1/access-tokens/:token', (req, res) => {
    const info = tokens.describeAccessToken(req.params.token);
    if (!info) throw notFound('Token not found or expired');
    res.json(info);
  });
  router.get('/oauth/v1/refresh-tokens/:token', (req, res) => {
    const info = tokens.describeRefreshToken(req.params.token);
    if (!info) throw notFound('Refresh token not found');
    res.json(info);
  });
  router.delete('/oauth/v1/refresh-tokens/:token', (req, res) => {
    tokens.revokeRefreshToken(req.params.token);
    res.status(204).end();
  });

  router.post('/oauth/2026-03/token/introspect', (req, res) => {
    const b = body<{ client_id?: unknown; client_secret?: unknown; token?: unknown }>(req);
    if (b.client_id !== tokens.app.clientId || b.client_secret !== tokens.app.clientSecret) {
      throw new HubSpotHttpError(401, { error: 'invalid_client', error_description: 'unknown client' });
    }
    const token = String(b.token ?? '');
    const access = tokens.describeAccessToken(token);
    const refresh = tokens.describeRefreshToken(token);
    const info = access ?? refresh;
    res.json(
      info
        ? {
            active: true,
            client_id: tokens.app.clientId,
            hub_id: info.hub_id,
            user_id: info.user_id,
            scope: (info.scopes as string[]).join(' '),
            token_type: access ? 'access_token' : 'refresh_token',
          }
        : { active: false },
    );
  });
  router.post('/oauth/2026-03/token/revoke', (req, res) => {
    const b = body<{ token?: unknown }>(req);
    tokens.revokeRefreshToken(String(b.token ?? ''));
    res.status(200).json({});
  });
  return router;
}
