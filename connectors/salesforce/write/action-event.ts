import { ACTION_EVENT } from '../../../src/domain/output-fields.js';
import { CrmApiError } from '../../../src/lib/errors.js';
import type { ProvisionReport } from '../../../src/ports/crm-writer.js';
import type { SalesforceClient } from '../client.js';
import { describeSchema } from '../schemas.js';
import { toolingCreate } from './tooling.js';

/**
 * The Platform Event crm-agent publishes per new action (`CrmAgent_Action__e`), defined through the Tooling API
 * when the org lacks it (high volume, published after commit), with any of its fields that are missing. Platform
 * event fields know no field-level security. Labels of an existing event are left as the admin has them.
 */
export async function ensureActionEvent(client: SalesforceClient, report: ProvisionReport): Promise<void> {
  let existing: Set<string> | undefined;
  try {
    const describe = describeSchema.parse(
      await client.json({ method: 'GET', url: client.dataPath(`/sobjects/${ACTION_EVENT.apiName}/describe`) }),
    );
    existing = new Set(describe.fields.map((f) => f.name.toLowerCase()));
  } catch (error) {
    if (!(error instanceof CrmApiError && error.details.status === 404)) throw error;
  }
  if (existing) report.unchanged.push(ACTION_EVENT.apiName);
  else {
    await toolingCreate(client, 'CustomObject', ACTION_EVENT.apiName, {
      label: ACTION_EVENT.label,
      pluralLabel: `${ACTION_EVENT.label}s`,
      deploymentStatus: 'Deployed',
      eventType: 'HighVolume',
      publishBehavior: 'PublishAfterCommit',
    });
    report.created.push(ACTION_EVENT.apiName);
  }
  for (const field of ACTION_EVENT.fields) {
    const fullName = `${ACTION_EVENT.apiName}.${field.apiName}`;
    if (existing?.has(field.apiName.toLowerCase())) {
      report.unchanged.push(fullName);
      continue;
    }
    await toolingCreate(client, 'CustomField', fullName, {
      label: field.label,
      type: field.type,
      length: field.length,
      ...(field.type === 'LongTextArea' ? { visibleLines: 3 } : {}),
    });
    report.created.push(fullName);
  }
}
