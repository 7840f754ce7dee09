import { timingSafeEqual } from 'node:crypto';
import { parse, serialize } from 'cookie';
import type { NextFunction, Request, Response } from 'express';
import { randomToken, sha256 } from '../../install/pkce.js';
import type { Clock } from '../../lib/clock.js';
import type { Store } from '../../store/open-store.js';

export const SESSION_COOKIE = 'crm_agent_session';
export const SESSION_TTL_MS = 12 * 60 * 60_000;

/** The signed-in admin of a request: the tenants they installed, and the token their forms must carry. */
export interface AdminContext {
  tenantIds: string[];
  csrfToken: string;
}

export interface SessionDeps {
  store: Store;
  clock: Clock;
  /** Secure cookies (the public URL is https). */
  secure: boolean;
}

function sessionIdOf(req: Pick<Request, 'headers'>): string | undefined {
  const id = parse(req.headers.cookie ?? '')[SESSION_COOKIE];
  return id === undefined || id === '' ? undefined : id;
}

function setSessionCookie(res: Response, id: string, secure: boolean): void {
  res.append(
    'Set-Cookie',
    serialize(SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: 'lax',
      secure,
      path: '/',
      maxAge: SESSION_TTL_MS / 1000,
    }),
  );
}

/** Tells the browser to forget its session cookie (name and path decide which cookie; an https page may clear a Secure one). */
export function clearSessionCookie(res: Response): void {
  res.append('Set-Cookie', serialize(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'lax', path: '/', maxAge: 0 }));
}

/**
 * Signs an admin in: always under a NEW random id (HttpOnly, SameSite=Lax cookie, Secure over https) and a new
 * CSRF token, so an id planted in the browser before sign-in never gains anything. The store keeps only the id's
 * hash. `carryOver`: the tenants of the browser's current session move to the new id (an admin installing a
 * second CRM account keeps the first); the old id is invalid either way.
 */
export async function startAdminSession(
  req: Pick<Request, 'headers'>,
  res: Response,
  deps: SessionDeps,
  tenantIds: readonly string[],
  options: { carryOver: boolean },
): Promise<void> {
  const oldId = sessionIdOf(req);
  const id = randomToken();
  const csrf = randomToken(24);
  const expiresAt = new Date(deps.clock.now() + SESSION_TTL_MS).toISOString();
  await deps.store.transaction(async (tx) => {
    if (oldId !== undefined) {
      if (options.carryOver) await tx.sessions.renew(sha256(oldId), sha256(id), csrf, expiresAt);
      else await tx.sessions.remove(sha256(oldId));
    }
    for (const tenantId of tenantIds) await tx.sessions.grant(sha256(id), tenantId, csrf, expiresAt);
  });
  setSessionCookie(res, id, deps.secure);
}

/** Signs in the admin who just installed crm-agent into `tenantId` (keeping the tenants their browser had). */
export function grantAdminSession(req: Request, res: Response, deps: SessionDeps, tenantId: string): Promise<void> {
  return startAdminSession(req, res, deps, [tenantId], { carryOver: true });
}

/** Signs out: the session is deleted server-side (its id is useless from now on) and the cookie cleared. */
export async function endAdminSession(req: Pick<Request, 'headers'>, res: Response, store: Store): Promise<void> {
  const id = sessionIdOf(req);
  if (id !== undefined) await store.sessions.remove(sha256(id));
  clearSessionCookie(res);
}

/**
 * The session of a request, or undefined. Every read checks the tenants are still installed: a revoked tenant
 * (uninstalled, disabled, purging, purged) is taken out of the session, and a session with no tenant left is
 * deleted (signed out; with `res`, its cookie is cleared too).
 */
export async function readAdminSession(
  req: Pick<Request, 'headers'>,
  store: Store,
  res?: Response,
): Promise<AdminContext | undefined> {
  const id = sessionIdOf(req);
  if (!id) return undefined;
  const session = await store.sessions.get(sha256(id));
  if (session && session.revokedTenantIds.length > 0) {
    if (session.tenantIds.length === 0) await store.sessions.remove(sha256(id));
    else await store.sessions.revoke(sha256(id), session.revokedTenantIds);
  }
  if (!session || session.tenantIds.length === 0) {
    if (res) clearSessionCookie(res);
    return undefined;
  }
  return { tenantIds: session.tenantIds, csrfToken: session.csrfToken };
}

/**
 * Express middleware: 401 without a session (or once all its tenants were revoked), 404 for a tenant the session
 * may not see (as if it did not exist), and state-changing methods need the session's CSRF token.
 */
export function requireAdmin(store: Store, tenantParam = 'tenantId') {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const admin = await readAdminSession(req, store, res);
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
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method) && !hasCsrfToken(req, admin)) {
      res.status(403).type('text/plain').send('Missing or wrong CSRF token: reload the page and try again.');
      return;
    }
    res.locals.admin = admin;
    next();
  };
}

/** Whether a state-changing request carries the session's CSRF token (header or `_csrf` form field). */
export function hasCsrfToken(req: Request, admin: AdminContext): boolean {
  const given = String(req.get('x-csrf-token') ?? (req.body as Record<string, unknown> | undefined)?._csrf ?? '');
  return safeEqual(given, admin.csrfToken);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
