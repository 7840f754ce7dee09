import { timingSafeEqual } from 'node:crypto';
import { parse, serialize } from 'cookie';
import type { NextFunction, Request, Response } from 'express';
import { randomToken, sha256 } from '../../install/pkce.js';
import type { Clock } from '../../lib/clock.js';
import type { Store } from '../../store/open-store.js';

export const SESSION_COOKIE = 'crm_agent_session';
const SESSION_TTL_MS = 12 * 60 * 60_000;

/** The signed-in admin of a request: the tenants they installed, and the token their forms must carry. */
export interface AdminContext {
  tenantIds: string[];
  csrfToken: string;
}

/**
 * Signs in the admin who just installed crm-agent: a random id in an HttpOnly, SameSite=Lax cookie (Secure over
 * https); the store keeps only the id's hash, the tenants it may see and a CSRF token. A browser that already
 * has a session gains the new tenant in it.
 */
export async function grantAdminSession(
  req: Request,
  res: Response,
  deps: { store: Store; clock: Clock; secure: boolean },
  tenantId: string,
): Promise<void> {
  const expiresAt = new Date(deps.clock.now() + SESSION_TTL_MS).toISOString();
  const existingId = parse(req.headers.cookie ?? '')[SESSION_COOKIE];
  const existing = existingId ? await deps.store.sessions.get(sha256(existingId)) : undefined;
  const id = existing && existingId ? existingId : randomToken();
  await deps.store.sessions.grant(sha256(id), tenantId, existing?.csrfToken ?? randomToken(24), expiresAt);
  res.append(
    'Set-Cookie',
    serialize(SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.secure,
      path: '/',
      maxAge: SESSION_TTL_MS / 1000,
    }),
  );
}

/** The session of a request, or undefined. */
export async function readAdminSession(req: Pick<Request, 'headers'>, store: Store): Promise<AdminContext | undefined> {
  const id = parse(req.headers.cookie ?? '')[SESSION_COOKIE];
  if (!id) return undefined;
  const session = await store.sessions.get(sha256(id));
  return session && { tenantIds: session.tenantIds, csrfToken: session.csrfToken };
}

/**
 * Express middleware: 401 without a session, 404 for a tenant the session may not see (as if it did not exist),
 * and state-changing methods need the session's CSRF token.
 */
export function requireAdmin(store: Store, tenantParam = 'tenantId') {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const admin = await readAdminSession(req, store);
    if (!admin) {
      res.status(401).type('text/plain').send('Sign in by installing crm-agent from your CRM.');
      return;
    }
    const param = req.params[tenantParam];
    const tenantId = Array.isArray(param) ? param[0] : param;
    if (tenantId !== undefined && !admin.tenantIds.includes(tenantId)) {
      res.status(404).type('text/plain').send('Not found.');
      return;
    }
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      const given = String(req.get('x-csrf-token') ?? (req.body as Record<string, unknown> | undefined)?._csrf ?? '');
      if (!safeEqual(given, admin.csrfToken)) {
        res.status(403).type('text/plain').send('Missing or wrong CSRF token: reload the page and try again.');
        return;
      }
    }
    res.locals.admin = admin;
    next();
  };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
