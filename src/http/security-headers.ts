import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { AppManifest } from '../config/app-manifest.js';
import type { Config } from '../config/config.js';

export interface SecurityOptions {
  /** The URL browsers reach crm-agent at: HSTS (and upgrading insecure requests) only when it is https. */
  publicUrl: string;
  /** Paths a CRM shows inside its own pages (the record cards); every other response may not be framed. */
  embedPaths: readonly string[];
  /** Who may frame the embed paths. */
  embedAncestors: readonly string[];
}

/**
 * Who embeds crm-agent's cards: HubSpot's app domains (app.hubspot.com, app-eu1.hubspot.com, …), Salesforce
 * (Lightning `*.lightning.force.com`, Visualforce and My Domain `*.force.com`, Classic `*.salesforce.com`), and
 * wherever the configured CRM URLs point (the local sandboxes in the demo).
 */
export const CRM_FRAME_ANCESTORS = [
  'https://*.hubspot.com',
  'https://*.force.com',
  'https://*.salesforce.com',
  'https://*.lightning.force.com',
] as const;

/** The security options of a configured crm-agent. */
export function securityOptionsFor(config: Config, manifest: AppManifest): SecurityOptions {
  const origins = [config.hubspot.apiUrl, config.hubspot.authUrl, config.salesforce.loginUrl].map(
    (url) => new URL(url).origin,
  );
  return {
    publicUrl: config.publicUrl,
    embedPaths: [manifest.crms.salesforce.cardPath, manifest.crms.hubspot.card.path],
    embedAncestors: [...new Set([...CRM_FRAME_ANCESTORS, ...origins])],
  };
}

/**
 * Security headers on every response (helmet): a Content-Security-Policy allowing only crm-agent's own scripts
 * (chart.js and mermaid are served locally; no inline script), inline styles (the pages' `<style>` blocks and
 * mermaid's SVG styles), `frame-ancestors 'none'` except on the card paths the CRMs embed, `nosniff`,
 * `Referrer-Policy: no-referrer` (sign-in and install URLs carry one-time tokens), and HSTS only when the public
 * URL is https (an http demo must not pin the host to https).
 */
export function securityHeaders(options: SecurityOptions | undefined): RequestHandler {
  const https = options?.publicUrl.startsWith('https:') ?? false;
  const build = (frameAncestors: readonly string[]) =>
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: [...frameAncestors],
          ...(https ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      referrerPolicy: { policy: 'no-referrer' },
      // frame-ancestors decides; X-Frame-Options cannot name several CRMs, so it only says DENY where nothing embeds.
      xFrameOptions: frameAncestors.length === 1 && frameAncestors[0] === "'none'" ? { action: 'deny' } : false,
    });
  const everywhere = build(["'none'"]);
  const embeddable = build(options?.embedAncestors.length ? options.embedAncestors : ["'none'"]);
  const embedPaths = new Set(options?.embedPaths ?? []);
  return (req, res, next) => (embedPaths.has(req.path) ? embeddable : everywhere)(req, res, next);
}
