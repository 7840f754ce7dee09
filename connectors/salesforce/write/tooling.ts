import { CrmApiError } from '../../../src/lib/errors.js';
import type { SalesforceClient } from '../client.js';
import { queryPageSchema } from '../schemas.js';

/** Every row of a query (data or Tooling API), following `nextRecordsUrl`. */
export async function queryRows(
  client: SalesforceClient,
  soql: string,
  options: { tooling?: boolean } = {},
): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  let url: string | undefined = client.dataPath(
    `/${options.tooling ? 'tooling/' : ''}query?q=${encodeURIComponent(soql)}`,
  );
  while (url) {
    const page = queryPageSchema.parse(await client.json({ method: 'GET', url }));
    rows.push(...page.records);
    url = page.done ? undefined : page.nextRecordsUrl;
  }
  return rows;
}

/** Creates a Tooling API object (CustomField, CustomObject) → its id, or 'exists' when the org already has it. */
export async function toolingCreate(
  client: SalesforceClient,
  type: 'CustomField' | 'CustomObject',
  fullName: string,
  metadata: Record<string, unknown>,
): Promise<string | 'exists'> {
  try {
    const body = (await client.json({
      method: 'POST',
      url: client.dataPath(`/tooling/sobjects/${type}`),
      body: JSON.stringify({ FullName: fullName, Metadata: metadata }),
      headers: { 'content-type': 'application/json' },
    })) as { id?: unknown };
    return String(body.id ?? '');
  } catch (error) {
    // Another process created it since we looked (or Salesforce is still indexing an earlier create).
    if (error instanceof CrmApiError && error.details.crmCode === 'DUPLICATE_DEVELOPER_NAME') return 'exists';
    throw error;
  }
}
