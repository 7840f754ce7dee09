import { parse, serialize } from 'cookie';
import { type Response, Router } from 'express';
import type { CredentialStore } from '../auth/credential-store.js';
import type { AppManifest } from '../config/app-manifest.js';
import type { CrmName } from '../domain/records.js';
import type { Tenant } from '../domain/tenant.js';
import { grantAdminSession } from '../http/session/admin-session.js';
import type { Clock } from '../lib/clock.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { CrmConnectorModule } from '../ports/crm-connector.js';
import type { Store } from '../store/open-store.js';
import { completeInstall } from './complete-install.js';
import { createPkcePair, randomToken, sha256 } from './pkce.js';

export const INSTALL_COOKIE = 'crm_agent_install';
/** An install must finish within this long of starting. */
export const STATE_TTL_MS = 10 * 60_000;

export interface InstallRouterDeps {
  store: Store;
  credentials: () => CredentialStore;
  clock: Clock;
  logger: Logger;
  manifest: AppManifest;
  publicUrl: string;
  module: (crm: CrmName) => CrmConnectorModule;
  fetch: typeof fetch;
  /** After an install is recorded: provision crm-agent's fields, schedule the tenant, queue its first full run. */
  onInstalled: (tenant: Tenant, reinstall: boolean) => Promise<void>;
  /** Where the admin lands after installing. */
  dashboardPath: string;
}

/**
 * The OAuth install for each CRM: `installPath` redirects to the CRM's authorize page with a single-use state that
 * expires in 10 minutes and is bound to this browser by a cookie, plus PKCE; the CRM's callback exchanges the
 * code, records the tenant, starts the admin's dashboard session and hands over to `onInstalled`.
 */
export function createInstallRouter(deps: InstallRouterDeps): Router {
  const router = Router();
  const secure = deps.publicUrl.startsWith('https:');
  const log = deps.logger.child({ component: 'install' });

  for (const crm of ['hubspot', 'salesforce'] as const) {
    const app = deps.manifest.crms[crm];
    const redirectUri = deps.publicUrl + app.redirectPath;

    router.get(app.installPath, async (_req, res) => {
      const module = deps.module(crm);
      if (!module.authorizeUrl || !module.exchangeCode)
        return page(
          res,
          501,
          `Installing from ${crm} is not configured`,
          'This crm-agent has no OAuth app for this CRM.',
        );
      const browserSecret = randomToken();
      const state = randomToken();
      const pkce = createPkcePair();
      await deps.store.oauthStates.add(
        { state, crm, browserHash: sha256(browserSecret), codeVerifier: pkce.verifier },
        STATE_TTL_MS,
      );
      res.append(
        'Set-Cookie',
        serialize(INSTALL_COOKIE, browserSecret, {
          httpOnly: true,
          sameSite: 'lax',
          secure,
          path: '/',
          maxAge: STATE_TTL_MS / 1000,
        }),
      );
      res.redirect(
        302,
        module.authorizeUrl({
          redirectUri,
          state,
          codeChallenge: pkce.challenge,
          scopes: app.scopes.required,
          optionalScopes: app.scopes.optional,
        }),
      );
    });

    router.get(app.redirectPath, async (req, res) => {
      const query = req.query as Record<string, string | undefined>;
      if (query.error) {
        log.warn({ crm, error: query.error }, 'install refused at the CRM');
        return page(res, 400, 'Install cancelled', `${crm} said: ${query.error_description ?? query.error}`);
      }
      if (!query.code || !query.state)
        return page(
          res,
          400,
          'Install link incomplete',
          'The callback carried no code or state. Start the install again.',
        );
      const pending = await deps.store.oauthStates.consume(query.state);
      const browserSecret = parse(req.headers.cookie ?? '')[INSTALL_COOKIE];
      if (!pending || pending.crm !== crm || !browserSecret || sha256(browserSecret) !== pending.browserHash) {
        log.warn(
          { crm, known: pending !== undefined },
          'install refused: state unknown, used, expired or from another browser',
        );
        return page(
          res,
          400,
          'Install link expired',
          'This install link was already used, expired after 10 minutes, or was started in another browser. Start the install again.',
        );
      }
      res.append(
        'Set-Cookie',
        serialize(INSTALL_COOKIE, '', { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: 0 }),
      );
      const module = deps.module(crm);
      let tenant: Tenant;
      let reinstall: boolean;
      try {
        const { grant, account } = await module.exchangeCode!({
          code: query.code,
          redirectUri,
          codeVerifier: pending.codeVerifier,
          fetch: deps.fetch,
        });
        ({ tenant, reinstall } = await completeInstall(
          { store: deps.store, credentials: deps.credentials(), clock: deps.clock },
          crm,
          grant,
          account,
        ));
      } catch (error) {
        log.error({ crm, err: error }, 'install failed');
        return page(
          res,
          502,
          'Install failed',
          `crm-agent could not complete the install with ${crm}: ${describeError(error)}`,
        );
      }
      log.info(
        { crm, tenantId: tenant.id, externalId: tenant.externalId, reinstall },
        reinstall ? 'tenant reinstalled' : 'tenant installed',
      );
      await grantAdminSession(req, res, { store: deps.store, clock: deps.clock, secure }, tenant.id);
      try {
        await deps.onInstalled(tenant, reinstall);
      } catch (error) {
        log.error(
          { tenantId: tenant.id, err: error },
          'post-install steps failed; the next scheduled run retries them',
        );
      }
      res.redirect(303, `${deps.dashboardPath}?installed=${encodeURIComponent(tenant.id)}`);
    });
  }
  return router;
}

function page(res: Response, status: number, title: string, message: string): void {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · crm-agent</title></head><body style="font-family:system-ui;max-width:40rem;margin:4rem auto"><h1>${esc(title)}</h1><p>${esc(message)}</p></body></html>`,
    );
}
