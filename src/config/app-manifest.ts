import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CrmAgentError, ErrorCode } from '../lib/errors.js';

const path = z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'an absolute URL path such as /install/hubspot');
const scope = z.string().regex(/^[a-z0-9_.-]+$/i, 'a scope name');

const crmAppBase = {
  /** Where an admin starts the install: crm-agent redirects to the CRM's authorize page. */
  installPath: path,
  /** The OAuth redirect (callback) path registered with the CRM. */
  redirectPath: path,
  scopes: z.strictObject({
    /** The minimal list the app cannot work without. */
    required: z.array(scope).min(1),
    optional: z.array(scope),
  }),
  /** Where the CRM delivers change events. */
  webhookPath: path,
};

const HUBSPOT_OBJECTS = ['contact', 'company', 'deal', 'line_item', 'product'] as const;
const HUBSPOT_EVENTS = ['creation', 'deletion', 'merge', 'restore', 'associationChange'] as const;

const hubspotAppSchema = z.strictObject({
  ...crmAppBase,
  /** The webhook subscriptions HubSpot delivers to `webhookPath`. */
  webhooks: z.strictObject({
    maxConcurrentRequests: z.number().int().min(1).max(100),
    objects: z.array(
      z.strictObject({
        objectType: z.enum(HUBSPOT_OBJECTS),
        events: z.array(z.enum(HUBSPOT_EVENTS)),
        /** Properties whose changes matter (one propertyChange subscription each). */
        properties: z.array(z.string().regex(/^[a-z0-9_]+$/)),
      }),
    ),
    privacyDeletion: z.boolean(),
  }),
  /** The custom workflow action HubSpot workflows call. */
  workflowAction: z.strictObject({
    path,
    label: z.string().min(3).max(60),
    description: z.string().min(10).max(200),
    objectTypes: z.array(z.enum(['CONTACT', 'DEAL', 'COMPANY'])).min(1),
  }),
  /** The CRM card reps see on a record, and the endpoint it fetches. */
  card: z.strictObject({
    path,
    title: z.string().min(1).max(40),
    objectTypes: z.array(z.enum(['contacts', 'deals', 'companies'])).min(1),
  }),
});

const salesforceAppSchema = z.strictObject({
  ...crmAppBase,
  /** Objects an org admin may point Outbound Messages at (optional: crm-agent polls by SystemModstamp anyway). */
  outboundMessage: z.strictObject({ objects: z.array(z.enum(['Contact', 'Lead', 'Account', 'Opportunity'])) }),
  /** The page a Lightning tab or Visualforce frame embeds. */
  cardPath: path,
});

/**
 * The app's marketplace declaration (`app-manifest.json`): the one place that names the app, the OAuth
 * scopes each CRM needs, and the paths the CRMs call. Validated at start-up and by a test.
 */
export const appManifestSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().regex(/^[a-z][a-z0-9-]{1,49}$/, 'a lower-case app name'),
    description: z.string().min(20).max(500),
    crms: z.strictObject({ hubspot: hubspotAppSchema, salesforce: salesforceAppSchema }),
    settingsPath: path,
    support: z.strictObject({ email: z.email(), documentationUrl: z.url() }),
  })
  .superRefine((manifest, ctx) => {
    const seen = new Map<string, string>();
    const paths: Array<[string[], string]> = [
      [['settingsPath'], manifest.settingsPath],
      [['crms', 'hubspot', 'workflowAction', 'path'], manifest.crms.hubspot.workflowAction.path],
      [['crms', 'hubspot', 'card', 'path'], manifest.crms.hubspot.card.path],
      [['crms', 'salesforce', 'cardPath'], manifest.crms.salesforce.cardPath],
    ];
    for (const [crm, app] of Object.entries(manifest.crms)) {
      for (const key of ['installPath', 'redirectPath', 'webhookPath'] as const)
        paths.push([['crms', crm, key], app[key]]);
    }
    for (const [where, value] of paths) {
      const other = seen.get(value);
      if (other) ctx.addIssue({ code: 'custom', path: where, message: `${where.join('.')} repeats ${other}` });
      seen.set(value, where.join('.'));
    }
    for (const [crm, app] of Object.entries(manifest.crms)) {
      const overlap = app.scopes.optional.filter((s) => app.scopes.required.includes(s));
      if (overlap.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['crms', crm, 'scopes'],
          message: `scopes both required and optional: ${overlap.join(', ')}`,
        });
      }
    }
  });

export type AppManifest = z.infer<typeof appManifestSchema>;

/** Reads and validates the manifest; the error names every field that is wrong. */
export function loadAppManifest(file: string | URL): AppManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CrmAgentError(ErrorCode.ManifestInvalid, `cannot read app manifest ${String(file)}`, { cause: error });
  }
  const parsed = appManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new CrmAgentError(
      ErrorCode.ManifestInvalid,
      `app manifest ${String(file)} is invalid: ${problems.join('; ')}`,
    );
  }
  return parsed.data;
}
