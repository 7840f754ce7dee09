import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import { OUTPUT_FIELDS } from '../../../src/domain/output-fields.js';
import { cli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

const env = { LOG_LEVEL: 'silent', PUBLIC_URL: 'https://agent.example.com' };

/** HubSpot's 2025.2 project file shapes (crm-apis.md §7 and HubSpot's project component templates). */
const appMeta = z.object({
  uid: z.string().regex(/^[a-z0-9_]+$/),
  type: z.literal('app'),
  config: z.object({
    name: z.string(),
    description: z.string(),
    distribution: z.literal('marketplace'),
    auth: z.object({
      type: z.literal('oauth'),
      redirectUrls: z.array(z.url()).min(1),
      requiredScopes: z.array(z.string()).min(1),
      optionalScopes: z.array(z.string()),
      conditionallyRequiredScopes: z.array(z.string()),
    }),
    permittedUrls: z.object({ fetch: z.array(z.url()), iframe: z.array(z.url()), img: z.array(z.url()) }),
    support: z.object({ supportEmail: z.email(), documentationUrl: z.url() }),
  }),
});
const webhooksMeta = z.object({
  type: z.literal('webhooks'),
  config: z.object({
    settings: z.object({ targetUrl: z.url(), maxConcurrentRequests: z.number() }),
    subscriptions: z.object({
      crmObjects: z.array(
        z.object({
          subscriptionType: z.string().regex(/^object\.[a-zA-Z]+$/),
          objectType: z.string(),
          propertyName: z.string().optional(),
          active: z.boolean(),
        }),
      ),
      hubEvents: z.array(z.object({ subscriptionType: z.literal('contact.privacyDeletion'), active: z.boolean() })),
    }),
  }),
});
const actionMeta = z.object({
  type: z.literal('workflow-action'),
  config: z.object({
    actionUrl: z.url(),
    isPublished: z.boolean(),
    supportedClients: z.array(z.object({ client: z.literal('WORKFLOWS') })),
    inputFields: z.array(z.unknown()),
    outputFields: z.array(z.object({ typeDefinition: z.object({ name: z.string(), type: z.string() }) })).min(1),
    labels: z.object({ en: z.object({ actionName: z.string(), actionDescription: z.string() }) }),
    objectTypes: z.array(z.string()).min(1),
  }),
});
const cardMeta = z.object({
  type: z.literal('card'),
  config: z.object({
    name: z.string(),
    location: z.enum(['crm.record.tab', 'crm.record.sidebar']),
    entrypoint: z.string(),
    objectTypes: z.array(z.string()),
  }),
});

describe('crm-agent manifest', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());
  const read = (root: string, path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as unknown;

  it('writes a HubSpot project whose files have HubSpot 2025.2 shapes and point at PUBLIC_URL', async () => {
    const out = join(dir.path, 'hs');
    const { status, stdout } = await cli(['manifest', 'hubspot', '--out', out], env);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^wrote 7 files to /);
    expect(read(out, 'hsproject.json')).toEqual({ name: 'crm-agent', srcDir: 'src', platformVersion: '2025.2' });
    const app = appMeta.parse(read(out, 'src/app/app-hsmeta.json'));
    expect(app.config.auth.redirectUrls).toEqual(['https://agent.example.com/oauth/hubspot/callback']);
    const hooks = webhooksMeta.parse(read(out, 'src/app/webhooks/webhooks-hsmeta.json'));
    expect(hooks.config.settings.targetUrl).toBe('https://agent.example.com/webhooks/hubspot');
    expect(hooks.config.subscriptions.crmObjects).toContainEqual({
      subscriptionType: 'object.propertyChange',
      objectType: 'deal',
      propertyName: 'dealstage',
      active: true,
    });
    expect(hooks.config.subscriptions.crmObjects).toContainEqual({
      subscriptionType: 'object.merge',
      objectType: 'contact',
      active: true,
    });
    const action = actionMeta.parse(read(out, 'src/app/workflow-actions/next-best-action-hsmeta.json'));
    expect(action.config.actionUrl).toBe('https://agent.example.com/hubspot/workflow-actions/next-best-action');
    const card = cardMeta.parse(read(out, 'src/app/cards/score-card-hsmeta.json'));
    const source = readFileSync(join(out, 'src/app/cards', card.config.entrypoint.split('/').pop()!), 'utf8');
    expect(source).toContain('"https://agent.example.com/hubspot/card"');
    expect(app.config.permittedUrls.fetch).toContain('https://agent.example.com');
  });

  it('writes Salesforce metadata: every crm-agent field, FLS for each in the permission set, the Platform Event and the External Client App', async () => {
    const out = join(dir.path, 'sf');
    expect((await cli(['manifest', 'salesforce', '--out', out], env)).status).toBe(0);
    const parser = new XMLParser({ isArray: (name) => ['types', 'members', 'fieldPermissions'].includes(name) });
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(join(out, d), { withFileTypes: true }))
        e.isDirectory() ? walk(join(d, e.name)) : files.push(join(d, e.name));
    };
    walk('');
    for (const f of files) expect(XMLValidator.validate(readFileSync(join(out, f), 'utf8'))).toBe(true);
    // The same fields, on the same objects, as the connector provisions: contacts' fields on leads too, and the
    // task key on Activity.
    const sobjects = { contact: ['Contact', 'Lead'], company: ['Account'], deal: ['Opportunity'] };
    const expectedFields = [
      ...OUTPUT_FIELDS.flatMap((f) => f.objects.flatMap((o) => sobjects[o].map((s) => `${s}.${f.apiName}`))),
      'Activity.CrmAgent_Task_Key__c',
    ];
    const pkg = parser.parse(readFileSync(join(out, 'package.xml'), 'utf8')).Package;
    const members = Object.fromEntries(pkg.types.map((t: { name: string; members: string[] }) => [t.name, t.members]));
    expect(new Set(members.CustomField)).toEqual(
      new Set([
        ...expectedFields,
        ...['Record_Id__c', 'Action__c', 'Priority__c', 'Reason__c', 'Action_Key__c'].map(
          (f) => `CrmAgent_Action__e.${f}`,
        ),
      ]),
    );
    expect(members.CustomObject).toEqual(['CrmAgent_Action__e']);
    const perms = parser.parse(readFileSync(join(out, 'permissionsets/CrmAgent.permissionset-meta.xml'), 'utf8'))
      .PermissionSet.fieldPermissions;
    expect(new Set(perms.map((p: { field: string }) => p.field))).toEqual(new Set(expectedFields));
    expect(perms.every((p: { readable: boolean; editable: boolean }) => p.readable && p.editable)).toBe(true);
    const global = readFileSync(
      join(out, 'extlClntAppGlobalOauthSets/crm_agent_glbloauth.ecaGlblOauth-meta.xml'),
      'utf8',
    );
    expect(global).toContain('<callbackUrl>https://agent.example.com/oauth/salesforce/callback</callbackUrl>');
    expect(global).toContain('<isPkceRequired>true</isPkceRequired>');
    expect(global).not.toMatch(/consumerSecret/);
  });

  it('refuses to overwrite a directory that is not empty, leaving it untouched', async () => {
    const out = join(dir.path, 'busy');
    await cli(['manifest', 'hubspot', '--out', out], env);
    writeFileSync(join(out, 'mine.txt'), 'keep me');
    const again = await cli(['manifest', 'salesforce', '--out', out], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/is not empty \(use --force to replace it\)/);
    expect(readFileSync(join(out, 'mine.txt'), 'utf8')).toBe('keep me');
    expect(existsSync(join(out, 'package.xml'))).toBe(false);
    expect((await cli(['manifest', 'salesforce', '--out', out, '--force'], env)).status).toBe(0);
    expect(existsSync(join(out, 'mine.txt'))).toBe(false);
  });

  it('rejects an unknown CRM', async () => {
    const { status, stderr } = await cli(['manifest', 'pipedrive', '--out', join(dir.path, 'x')], env);
    expect(status).toBe(1);
    expect(stderr).toMatch(/value 'pipedrive' is invalid for argument 'crm'. Allowed choices are hubspot, salesforce/);
  });
});
