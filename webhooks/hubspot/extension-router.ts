import express, { Router } from 'express';
import { z } from 'zod';
import { recordCard, workflowOutputs } from '../../src/card/record-card.js';
import type { AppManifest } from '../../src/config/app-manifest.js';
import type { Clock } from '../../src/lib/clock.js';
import type { Logger } from '../../src/lib/logger.js';
import type { Store } from '../../src/store/open-store.js';
import {
  ACCEPTED_VERSIONS,
  type SignatureVersion,
  type VerifyResult,
  verifyHubSpotSignature,
} from './verify-signature.js';

const id = z.union([z.number(), z.string()]).transform(String);
const workflowRequest = z.looseObject({
  callbackId: z.string().min(1),
  origin: z.looseObject({ portalId: id }),
  object: z.looseObject({ objectId: id, objectType: z.string() }),
});
const cardRequest = z.looseObject({
  objectId: id,
  objectTypeId: z.string().optional(),
  objectType: z.string().optional(),
  portalId: id.optional(),
});

const TYPES: Record<string, 'contact' | 'deal' | 'company'> = {
  CONTACT: 'contact',
  CONTACTS: 'contact',
  '0-1': 'contact',
  DEAL: 'deal',
  DEALS: 'deal',
  '0-3': 'deal',
  COMPANY: 'company',
  COMPANIES: 'company',
  '0-2': 'company',
};

/** How long HubSpot keeps a blocked execution waiting for crm-agent's first result. */
const BLOCK_FOR = { iso: 'P1D', ms: 86_400_000 };

export interface ExtensionRouterDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  manifest: AppManifest;
  publicUrl: string;
  hubspotSecrets: readonly string[];
}

/**
 * What HubSpot calls inside the CRM: the "Get next best action" workflow action and the record card. Both are
 * signed by HubSpot (v3, or v2 for workflow actions: ACCEPTED_VERSIONS); unsigned, stale or v1-only requests get 401
 * and nothing happens.
 */
export function createHubSpotExtensionRouter(deps: ExtensionRouterDeps): Router {
  const router = Router();
  const raw = express.raw({ type: () => true, limit: '256kb' });
  const log = deps.logger.child({ component: 'hubspot-extensions' });
  const hs = deps.manifest.crms.hubspot;

  const verified = (req: express.Request, accept: readonly SignatureVersion[]): VerifyResult => {
    const verdict = verifyHubSpotSignature(
      {
        method: req.method,
        url: deps.publicUrl + req.originalUrl,
        rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        headers: req.headers,
      },
      deps.hubspotSecrets,
      deps.clock.now(),
      { accept },
    );
    if (!verdict.ok) log.warn({ path: req.path, reason: verdict.reason }, 'extension request refused');
    return verdict;
  };
  const parse = <T>(schema: z.ZodType<T>, body: Buffer): T | undefined => {
    try {
      const parsed = schema.safeParse(JSON.parse(body.toString('utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  };

  router.post(hs.workflowAction.path, raw, async (req, res) => {
    if (!verified(req, ACCEPTED_VERSIONS.workflowAction).ok)
      return void res.status(401).json({ message: 'signature rejected' });
    const call = parse(workflowRequest, req.body as Buffer);
    if (!call) return void res.status(400).json({ message: 'not a workflow action execution' });
    const objectType = TYPES[call.object.objectType.toUpperCase()];
    const tenant = await deps.store.tenants.findByExternalId('hubspot', call.origin.portalId);
    if (!tenant || !objectType) {
      log.warn(
        { portalId: call.origin.portalId, objectType: call.object.objectType },
        'workflow action for an unknown portal or object type',
      );
      return void res.json({ outputFields: { hs_execution_state: 'FAIL_CONTINUE' } });
    }
    const card = await recordCard(deps.store, tenant.id, objectType, call.object.objectId);
    if (card.scored && (card.action || card.score)) {
      return void res.json({ outputFields: { ...workflowOutputs(card), hs_execution_state: 'SUCCESS' } });
    }
    // No result for the record yet: hold the workflow, complete it when a run has one (HubSpot retries: dedupe).
    await deps.store.callbacks.add(
      tenant.id,
      { callbackId: call.callbackId, objectType, recordId: call.object.objectId },
      BLOCK_FOR.ms,
    );
    res.json({ outputFields: { hs_execution_state: 'BLOCK', hs_expiration_duration: BLOCK_FOR.iso } });
  });

  router.post(hs.card.path, raw, async (req, res) => {
    const verdict = verified(req, ACCEPTED_VERSIONS.card);
    if (!verdict.ok) return void res.status(401).json({ message: 'signature rejected' });
    const ask = parse(cardRequest, req.body as Buffer);
    // The portal must come from signed data: the body always is; the query string only under v2/v3, which sign the
    // URL (v1 signs the body alone, so a v1 signature would let any query name any portal).
    const fromQuery =
      verdict.version !== 'v1' && typeof req.query.portalId === 'string' ? req.query.portalId : undefined;
    if (ask?.portalId !== undefined && fromQuery !== undefined && ask.portalId !== fromQuery)
      return void res.status(400).json({ message: 'the body and the URL name different portals' });
    const portalId = ask?.portalId ?? fromQuery;
    const objectType = TYPES[(ask?.objectTypeId ?? ask?.objectType ?? '').toUpperCase()];
    if (!ask || !portalId || !objectType)
      return void res.status(400).json({ message: 'expected objectId, objectTypeId and portalId' });
    const tenant = await deps.store.tenants.findByExternalId('hubspot', portalId);
    if (!tenant) return void res.status(404).json({ message: 'crm-agent is not installed in this portal' });
    res.json(await recordCard(deps.store, tenant.id, objectType, ask.objectId));
  });
  return router;
}
