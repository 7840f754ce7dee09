import { stringify } from 'csv-stringify/sync';
import type { Store } from '../store/open-store.js';
import type { ActionQuery } from '../store/repositories/action-list.js';

const CHUNK = 5000;

/**
 * A spreadsheet cell that cannot run as a formula: CRM data is typed by anyone with access to the CRM, and a cell
 * starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel and LibreOffice (OWASP's
 * "CSV injection"), so such text is prefixed with an apostrophe.
 */
export function safeCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** Every current action that matches the query's filters (all pages, in its sort), as CSV with a header row. */
export async function actionsCsv(
  store: Pick<Store, 'actionList' | 'results'>,
  tenantId: string,
  query: ActionQuery,
  segmentNames: Map<string, string>,
  /** The currency worth is in (the CRM's), named in its column's header. */
  currency?: string,
): Promise<string> {
  const lines = [
    stringify([
      [
        'record type',
        'record id',
        'name',
        'owner',
        'action',
        'priority',
        'due',
        'reason',
        'segment',
        'outcome',
        currency ? `worth (${currency})` : 'worth',
      ],
    ]),
  ];
  for (let offset = 0; ; offset += CHUNK) {
    const { rows } = await store.actionList.page(tenantId, { ...query, offset, limit: CHUNK });
    lines.push(
      stringify(
        rows.map((a) =>
          [
            a.objectType,
            a.recordId,
            a.name,
            a.ownerName ?? '',
            a.action,
            a.priority,
            a.dueDate.slice(0, 10),
            a.reason,
            a.segmentKey ? (segmentNames.get(a.segmentKey) ?? a.segmentKey) : '',
            a.outcome ?? '',
            String(Math.round(a.value)),
          ].map(safeCell),
        ),
      ),
    );
    if (rows.length < CHUNK) break;
  }
  return lines.join('');
}
