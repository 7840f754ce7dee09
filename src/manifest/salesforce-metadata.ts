import type { AppManifest } from '../config/app-manifest.js';
import { ACTION_EVENT, OUTPUT_FIELDS, type OutputField } from '../domain/output-fields.js';
import type { ProjectFiles } from './hubspot-project.js';

const API_VERSION = '62.0';
/** Where each field lives: crm-agent's contacts are Salesforce contacts and leads. */
const SOBJECTS = { contact: ['Contact', 'Lead'], company: ['Account'], deal: ['Opportunity'] } as const;
/** The same names the connector provisions through the API (connectors/salesforce/write/). */
const PERMISSION_SET = 'CrmAgent';
const TASK_KEY_FIELD = 'CrmAgent_Task_Key__c';
const APP = 'crm_agent';

/**
 * The Salesforce metadata crm-agent needs, as a Metadata API source folder (deploy with
 * `sf project deploy start --metadata-dir` or the Metadata API): the External Client App with its OAuth
 * settings (callback, scopes, PKCE, refresh-token rotation), crm-agent's custom fields on Contact, Account and
 * Opportunity, the permission set granting field-level security on them (without it, API-created fields stay
 * hidden), and the Platform Event published per new action. Consumer key and secret are not included: Salesforce
 * issues them, and they never go into source files. With `outbound` (one org's secret endpoint URL), also that org's
 * outbound messages (outboundMessageMetadata); without it none: the app-wide webhook path alone refuses messages.
 */
export function buildSalesforceMetadata(
  manifest: AppManifest,
  publicUrl: string,
  outbound?: OutboundMessageTarget,
): ProjectFiles {
  const sf = manifest.crms.salesforce;
  const files: ProjectFiles = outbound ? outboundMessageMetadata(manifest, outbound) : {};
  const fields: string[] = [];
  for (const field of OUTPUT_FIELDS) {
    for (const object of field.objects) {
      for (const sobject of SOBJECTS[object]) {
        files[`objects/${sobject}/fields/${field.apiName}.field-meta.xml`] = customField(field);
        fields.push(`${sobject}.${field.apiName}`);
      }
    }
  }
  // Tasks are upserted by this key (External ID, unique), so a retry never makes a second task.
  files[`objects/Activity/fields/${TASK_KEY_FIELD}.field-meta.xml`] = xml('CustomField', [
    `<fullName>${TASK_KEY_FIELD}</fullName>`,
    '<caseSensitive>true</caseSensitive>',
    '<description>The next-best-action episode this task was made for (crm-agent upserts tasks by it)</description>',
    '<externalId>true</externalId>',
    '<label>crm-agent task key</label>',
    '<length>80</length>',
    '<required>false</required>',
    '<type>Text</type>',
    '<unique>true</unique>',
  ]);
  fields.push(`Activity.${TASK_KEY_FIELD}`);
  files[`objects/${ACTION_EVENT.apiName}/${ACTION_EVENT.apiName}.object-meta.xml`] = xml('CustomObject', [
    '<deploymentStatus>Deployed</deploymentStatus>',
    '<eventType>HighVolume</eventType>',
    `<label>${esc(ACTION_EVENT.label)}</label>`,
    `<pluralLabel>${esc(ACTION_EVENT.label)}s</pluralLabel>`,
    '<publishBehavior>PublishAfterCommit</publishBehavior>',
  ]);
  for (const f of ACTION_EVENT.fields) {
    files[`objects/${ACTION_EVENT.apiName}/fields/${f.apiName}.field-meta.xml`] = xml('CustomField', [
      `<fullName>${f.apiName}</fullName>`,
      `<label>${esc(f.label)}</label>`,
      `<length>${f.length}</length>`,
      `<type>${f.type}</type>`,
      ...(f.type === 'LongTextArea' ? ['<visibleLines>3</visibleLines>'] : []),
      '<isFilteringDisabled>false</isFilteringDisabled><isNameField>false</isNameField><isSortingDisabled>false</isSortingDisabled>',
    ]);
  }
  files[`permissionsets/${PERMISSION_SET}.permissionset-meta.xml`] = xml('PermissionSet', [
    '<description>Lets the crm-agent integration user read and write crm-agent fields and publish its Platform Event.</description>',
    ...fields.map(
      (f) =>
        `<fieldPermissions><editable>true</editable><field>${f}</field><readable>true</readable></fieldPermissions>`,
    ),
    '<hasActivationRequired>false</hasActivationRequired>',
    `<label>crm-agent integration</label>`,
    `<objectPermissions><allowCreate>true</allowCreate><allowDelete>false</allowDelete><allowEdit>false</allowEdit><allowRead>true</allowRead><modifyAllRecords>false</modifyAllRecords><object>${ACTION_EVENT.apiName}</object><viewAllRecords>false</viewAllRecords></objectPermissions>`,
  ]);
  files[`externalClientApps/${APP}.eca-meta.xml`] = xml('ExternalClientApplication', [
    `<contactEmail>${esc(manifest.support.email)}</contactEmail>`,
    `<description>${esc(manifest.description)}</description>`,
    '<distributionState>Packageable</distributionState>',
    '<isProtected>false</isProtected>',
    `<label>${esc(manifest.name)}</label>`,
  ]);
  files[`extlClntAppOauthSettings/${APP}_oauth.ecaOauth-meta.xml`] = xml('ExtlClntAppOauthSettings', [
    `<commaSeparatedOauthScopes>${sf.scopes.required.map(scopeLabel).join(', ')}</commaSeparatedOauthScopes>`,
    `<externalClientApplication>${APP}</externalClientApplication>`,
    `<label>${esc(manifest.name)} OAuth</label>`,
  ]);
  files[`extlClntAppGlobalOauthSets/${APP}_glbloauth.ecaGlblOauth-meta.xml`] = xml('ExtlClntAppGlobalOauthSettings', [
    `<callbackUrl>${esc(publicUrl + sf.redirectPath)}</callbackUrl>`,
    `<externalClientApplication>${APP}</externalClientApplication>`,
    '<isConsumerSecretOptional>false</isConsumerSecretOptional>',
    '<isIntrospectAllTokens>false</isIntrospectAllTokens>',
    '<isPkceRequired>true</isPkceRequired>',
    '<isSecretRequiredForRefreshToken>true</isSecretRequiredForRefreshToken>',
    `<label>${esc(manifest.name)} global OAuth</label>`,
  ]);
  files['package.xml'] = packageXml(files);
  return files;
}

/** Where one org's outbound messages go: its own secret URL, and the user whose session they carry. */
export interface OutboundMessageTarget {
  /** `<PUBLIC_URL><webhookPath>/<the org's secret>`: the secret-less webhook path refuses every message. */
  endpointUrl: string;
  /** Username of the org's crm-agent integration user (its session is sent as SessionId). */
  integrationUser: string;
  /**
   * Id of that user (`user_id` of `/services/oauth2/userinfo` for crm-agent's token, known at install): the rule
   * that sends the messages leaves out that user's edits, so crm-agent's own write-back is not echoed back to it.
   */
  integrationUserId: string;
}

/**
 * The workflow rule criterion that leaves out edits made by crm-agent's integration user. A rule formula may use
 * the `$User` global variable, the user whose save fired the rule (Salesforce Help, "Workflow Rule Considerations"
 * and "Global Variables"; Metadata API `WorkflowRule.formula`:
 * https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_workflow.htm). CASESAFEID gives
 * the 18-character id userinfo returns, so the comparison holds whichever form the org evaluates `$User.Id` in.
 */
export function excludeUserFormula(userId: string): string {
  if (!/^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/.test(userId)) {
    throw new Error(`not a Salesforce user id: ${JSON.stringify(userId.slice(0, 40))}`);
  }
  return `CASESAFEID($User.Id) <> "${userId}"`;
}

/** The fields each outbound message sends: the id and the timestamps crm-agent orders changes by. */
const OUTBOUND_FIELDS = ['Id', 'LastModifiedDate', 'SystemModstamp'];

/**
 * One org's outbound messages (Metadata API `WorkflowOutboundMessage`, one per object in the manifest), pointing at
 * the org's own endpoint URL, which ends with the secret crm-agent issued the org at install: Salesforce cannot sign
 * outbound messages, so that URL is what authenticates them. "Send Session ID" is on, so crm-agent also checks each
 * message's session with the org before doing any work. Each object also gets the active workflow rule that sends
 * its message (`WorkflowRule`: on create and every edit, `triggerType` onAllChanges) for every save except those of
 * crm-agent's integration user: crm-agent's own writes would otherwise come back as one message per record written
 * (thousands after a full cycle) and queue a rep's edit behind them. The inbox's echo filter stays as the second
 * line (an admin may attach the message to a rule or flow of their own).
 */
export function outboundMessageMetadata(manifest: AppManifest, target: OutboundMessageTarget): ProjectFiles {
  if (!/^https?:\/\/[^/]+\/.+\/[A-Za-z0-9_-]{20,}$/.test(target.endpointUrl)) {
    throw new Error('the outbound message endpoint URL must end with the org’s endpoint secret');
  }
  const files: ProjectFiles = {};
  for (const object of manifest.crms.salesforce.outboundMessage.objects) {
    files[`workflows/${object}.workflow-meta.xml`] = xml('Workflow', [
      [
        '<outboundMessages>',
        `<fullName>CrmAgent_${object}_Changed</fullName>`,
        `<apiVersion>${API_VERSION}</apiVersion>`,
        `<description>Tells crm-agent that a ${object} changed (its endpoint URL carries this org's secret)</description>`,
        `<endpointUrl>${esc(target.endpointUrl)}</endpointUrl>`,
        ...OUTBOUND_FIELDS.map((f) => `<fields>${f}</fields>`),
        '<includeSessionId>true</includeSessionId>',
        `<integrationUser>${esc(target.integrationUser)}</integrationUser>`,
        `<name>crm-agent ${object} changed</name>`,
        '<protected>false</protected>',
        '<useDeadLetterQueue>false</useDeadLetterQueue>',
        '</outboundMessages>',
      ].join(''),
      [
        '<rules>',
        `<fullName>CrmAgent_${object}_Changed</fullName>`,
        `<actions><name>CrmAgent_${object}_Changed</name><type>OutboundMessage</type></actions>`,
        '<active>true</active>',
        `<description>Tells crm-agent about every ${object} saved by anyone but crm-agent's integration user</description>`,
        `<formula>${esc(excludeUserFormula(target.integrationUserId))}</formula>`,
        '<triggerType>onAllChanges</triggerType>',
        '</rules>',
      ].join(''),
    ]);
  }
  return files;
}

/** Salesforce names scopes differently in metadata than in the OAuth `scope` parameter. */
function scopeLabel(scope: string): string {
  return ({ api: 'Api', refresh_token: 'RefreshToken', id: 'OpenID' } as Record<string, string>)[scope] ?? scope;
}

function customField(field: OutputField): string {
  const body = [
    `<fullName>${field.apiName}</fullName>`,
    `<description>${esc(field.description)}</description>`,
    `<externalId>false</externalId>`,
    `<label>${esc(field.label)}</label>`,
    '<required>false</required>',
  ];
  switch (field.type) {
    case 'number':
      body.push(
        field.percent
          ? '<precision>5</precision><scale>1</scale><type>Percent</type>'
          : '<precision>18</precision><scale>2</scale><type>Number</type>',
      );
      break;
    case 'text':
      body.push('<length>1000</length><type>LongTextArea</type><visibleLines>3</visibleLines>');
      break;
    case 'datetime':
      body.push('<type>DateTime</type>');
      break;
    case 'date':
      body.push('<type>Date</type>');
      break;
    case 'enumeration': {
      // Options that follow the data (segment names) cannot be a restricted picklist: new names must be writable.
      const values = (field.options ?? []).map(
        (o) =>
          `<value><fullName>${esc(o.value)}</fullName><default>false</default><label>${esc(o.label)}</label></value>`,
      );
      body.push(
        `<type>Picklist</type><valueSet><restricted>${field.options ? 'true' : 'false'}</restricted><valueSetDefinition><sorted>false</sorted>${values.join('')}</valueSetDefinition></valueSet>`,
      );
      break;
    }
  }
  return xml('CustomField', body);
}

function packageXml(files: ProjectFiles): string {
  const members = (pattern: RegExp) =>
    Object.keys(files)
      .map((path) => path.match(pattern))
      .filter((m): m is RegExpMatchArray => m !== null)
      .map((m) => (m[2] ? `${m[1]}.${m[2]}` : m[1]!));
  const types: Array<[string, string[]]> = [
    ['CustomField', members(/^objects\/([^/]+)\/fields\/([^/.]+)\.field-meta\.xml$/)],
    ['CustomObject', members(/^objects\/([^/]+)\/\1\.object-meta\.xml$/)],
    ['PermissionSet', members(/^permissionsets\/([^/.]+)\.permissionset-meta\.xml$/)],
    ['ExternalClientApplication', members(/^externalClientApps\/([^/.]+)\.eca-meta\.xml$/)],
    ['ExtlClntAppOauthSettings', members(/^extlClntAppOauthSettings\/([^/.]+)\.ecaOauth-meta\.xml$/)],
    ['ExtlClntAppGlobalOauthSettings', members(/^extlClntAppGlobalOauthSets\/([^/.]+)\.ecaGlblOauth-meta\.xml$/)],
    [
      'WorkflowOutboundMessage',
      Object.keys(files)
        .map((path) => /^workflows\/([^/.]+)\.workflow-meta\.xml$/.exec(path)?.[1])
        .filter((o): o is string => o !== undefined)
        .map((o) => `${o}.CrmAgent_${o}_Changed`),
    ],
    [
      'WorkflowRule',
      Object.keys(files)
        .map((path) => /^workflows\/([^/.]+)\.workflow-meta\.xml$/.exec(path)?.[1])
        .filter((o): o is string => o !== undefined)
        .map((o) => `${o}.CrmAgent_${o}_Changed`),
    ],
  ];
  const body = types
    .filter(([, list]) => list.length > 0)
    .map(
      ([name, list]) =>
        `<types>${list
          .sort()
          .map((m) => `<members>${m}</members>`)
          .join('')}<name>${name}</name></types>`,
    );
  return xml('Package', [...body, `<version>${API_VERSION}</version>`]);
}

function xml(root: string, children: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="http://soap.sforce.com/2006/04/metadata">\n${children.map((c) => `    ${c}`).join('\n')}\n</${root}>\n`;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
