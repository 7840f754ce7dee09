import { type Request, type Response, Router } from 'express';
import { notFound, validationError } from '../errors.js';
import type { Owner } from '../state.js';
import { boolParam, idParam, intParam, objectType, requireScope, type SandboxContext } from './context.js';

/** Owners, deal pipelines and the account details: the portal's reference data. */
export function portalRoutes(ctx: SandboxContext): Router {
  const router = Router();
  const { state } = ctx;

  // PortalInformationResponse (Account_Account_Info-v3 in HubSpot's published OpenAPI files): every field required;
  // `companyCurrency` is the account's primary currency, `additionalCurrencies` the others it has turned on.
  router.get('/account-info/v3/details', (_req, res) => {
    res.json({
      portalId: state.portalId,
      accountType: 'STANDARD',
      timeZone: 'Etc/UTC',
      companyCurrency: state.companyCurrency,
      additionalCurrencies: [],
      utcOffset: '+00:00',
      utcOffsetMilliseconds: 0,
      uiDomain: 'app.hubspot.com',
      dataHostingLocation: 'na1',
    });
  });

  const ownersPage = (req: Request, res: Response) => {
    requireScope(req, ['crm.objects.owners.read']);
    const limit = intParam(req.query.limit, 'limit', 100, 500);
    const archived = boolParam(req.query.archived, 'archived');
    const after = req.query.after === undefined ? 0 : idParam(req.query.after, 'after');
    const email = typeof req.query.email === 'string' ? req.query.email.toLowerCase() : undefined;
    const matching = state.owners
      .filter((o) => o.archived === archived && Number(o.id) > after && (email === undefined || o.email === email))
      .sort((a, b) => Number(a.id) - Number(b.id));
    const results = matching.slice(0, limit).map(ownerJson);
    res.json({
      results,
      ...(matching.length > limit ? { paging: { next: { after: results[results.length - 1]!.id } } } : {}),
    });
  };
  router.get('/crm/v3/owners', ownersPage);
  router.get('/crm/v3/owners/', ownersPage);
  router.get('/crm/v3/owners/:ownerId', (req, res) => {
    requireScope(req, ['crm.objects.owners.read']);
    const by = req.query.idProperty === 'userId' ? 'userId' : 'id';
    if (req.query.idProperty !== undefined && req.query.idProperty !== 'id' && req.query.idProperty !== 'userId') {
      throw validationError('idProperty must be id or userId.');
    }
    const archived = boolParam(req.query.archived, 'archived');
    const owner = state.owners.find((o) => String(o[by]) === req.params.ownerId && o.archived === archived);
    if (!owner) throw notFound(`No owner ${req.params.ownerId}`);
    res.json(ownerJson(owner));
  });

  router.get('/crm/v3/pipelines/:type', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, [`crm.objects.${type}.read`, `crm.schemas.${type}.read`]);
    res.json({ results: type === 'deals' ? state.pipelines.filter((p) => !p.archived) : [] });
  });
  router.get('/crm/v3/pipelines/:type/:pipelineId', (req, res) => {
    const type = objectType(req.params.type);
    requireScope(req, [`crm.objects.${type}.read`, `crm.schemas.${type}.read`]);
    const pipeline = type === 'deals' ? state.pipelines.find((p) => p.id === req.params.pipelineId) : undefined;
    if (!pipeline) throw notFound(`No pipeline ${req.params.pipelineId}`);
    res.json(pipeline);
  });
  return router;
}

/** A `PublicOwner` (CRM_Crm_Owners-v3): `type` is required, PERSON or QUEUE; the sandbox's owners are people. */
function ownerJson(owner: Owner): Owner & { type: 'PERSON' | 'QUEUE' } {
  return { ...owner, type: 'PERSON' };
}
