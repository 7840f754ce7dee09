import { CrmApiError } from '../../../src/lib/errors.js';
import type { ProvisionReport } from '../../../src/ports/crm-writer.js';
import type { SalesforceClient } from '../client.js';
import { idLiteral, quote } from '../soql.js';
import { COLLECTION_SIZE, type SfRecordInput, saveCollection } from './collections.js';
import type { SaveResult } from './save-results.js';
import { queryRows } from './tooling.js';

export const PERMISSION_SET = {
  name: 'CrmAgent',
  label: 'crm-agent',
  description: 'Lets the crm-agent integration user read and write the fields crm-agent keeps (field-level security).',
};

/**
 * Field-level security for crm-agent's fields. Fields created through the API are hidden from every profile until
 * a permission set grants them, so crm-agent keeps its own: the `CrmAgent` permission set, a FieldPermissions row
 * (read and edit) per field, and the set's assignment to the API user. Idempotent: what exists is left alone.
 */
export async function grantFieldAccess(
  client: SalesforceClient,
  fields: ReadonlyArray<{ sobject: string; apiName: string }>,
  report: ProvisionReport,
): Promise<void> {
  const userinfo = (await client.json({ method: 'GET', url: '/services/oauth2/userinfo' })) as { user_id?: unknown };
  const me = String(userinfo.user_id ?? '');
  const sets = await queryRows(client, `SELECT Id FROM PermissionSet WHERE Name = ${quote(PERMISSION_SET.name)}`);
  let setId = sets[0]?.Id as string | undefined;
  const entry = `PermissionSet.${PERMISSION_SET.name}`;
  if (setId) report.unchanged.push(entry);
  else {
    const created = (await client.json({
      method: 'POST',
      url: client.dataPath('/sobjects/PermissionSet'),
      body: JSON.stringify({
        Name: PERMISSION_SET.name,
        Label: PERMISSION_SET.label,
        Description: PERMISSION_SET.description,
      }),
      headers: { 'content-type': 'application/json' },
    })) as { id?: unknown };
    setId = String(created.id);
    report.created.push(entry);
  }

  const granted = new Map(
    (
      await queryRows(
        client,
        `SELECT Id, Field, PermissionsRead, PermissionsEdit FROM FieldPermissions WHERE ParentId = ${idLiteral(setId)}`,
      )
    ).map((r) => [String(r.Field).toLowerCase(), r]),
  );
  const create: SfRecordInput[] = [];
  const update: SfRecordInput[] = [];
  for (const f of fields) {
    const name = `${f.sobject}.${f.apiName}`;
    const row = granted.get(name.toLowerCase());
    if (!row) {
      create.push({
        attributes: { type: 'FieldPermissions' },
        ParentId: setId,
        SobjectType: f.sobject,
        Field: name,
        PermissionsRead: true,
        PermissionsEdit: true,
      });
      report.created.push(`FieldPermissions.${name}`);
    } else if (row.PermissionsRead !== true || row.PermissionsEdit !== true) {
      update.push({
        attributes: { type: 'FieldPermissions' },
        Id: row.Id,
        PermissionsRead: true,
        PermissionsEdit: true,
      });
      report.updated.push(`FieldPermissions.${name}`);
    } else {
      report.unchanged.push(`FieldPermissions.${name}`);
    }
  }
  for (let i = 0; i < create.length; i += COLLECTION_SIZE) {
    const records = create.slice(i, i + COLLECTION_SIZE);
    refuse(await saveCollection(client, { method: 'POST', path: '/composite/sobjects', records, idempotent: false }));
  }
  for (let i = 0; i < update.length; i += COLLECTION_SIZE) {
    const records = update.slice(i, i + COLLECTION_SIZE);
    refuse(await saveCollection(client, { method: 'PATCH', path: '/composite/sobjects', records, idempotent: true }));
  }

  const assigned = await queryRows(
    client,
    `SELECT Id FROM PermissionSetAssignment WHERE PermissionSetId = ${idLiteral(setId)} AND AssigneeId = ${idLiteral(me)}`,
  );
  const assignment = `PermissionSetAssignment.${PERMISSION_SET.name}`;
  if (assigned.length > 0) report.unchanged.push(assignment);
  else {
    await client.json({
      method: 'POST',
      url: client.dataPath('/sobjects/PermissionSetAssignment'),
      body: JSON.stringify({ PermissionSetId: setId, AssigneeId: me }),
      headers: { 'content-type': 'application/json' },
    });
    report.created.push(assignment);
  }
}

/** Field permissions that did not save leave fields hidden: provisioning stops and says which. */
function refuse(results: SaveResult[]): void {
  const failed = results.find((r) => !r.success && !r.errors.some((e) => e.statusCode === 'DUPLICATE_VALUE'));
  if (!failed) return;
  const error = failed.errors[0];
  throw new CrmApiError(
    `Salesforce refused a field permission of the ${PERMISSION_SET.name} permission set: ${error?.statusCode ?? ''} ${error?.message ?? ''}`.trim(),
    { crm: 'salesforce', status: 200, ...(error ? { crmCode: error.statusCode } : {}), retryable: false },
  );
}
