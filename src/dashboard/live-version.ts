import type { Store } from '../store/open-store.js';

/**
 * What a dashboard page's figures depend on, in one short string: the tenant's latest run and its state. An open
 * page asks for it every few seconds and reloads its content when it changes (a run started, finished or failed),
 * so pages follow the runs without the admin reloading. One indexed row, so polling costs next to nothing.
 */
export async function liveVersion(store: Pick<Store, 'runs'>, tenantId: string): Promise<string> {
  const [run] = await store.runs.list(tenantId, 1);
  return run ? `${run.id}:${run.status}:${run.finishedAt ?? ''}` : 'none';
}
