import { CrmAgentError, ErrorCode } from '../lib/errors.js';

/**
 * Installs crm-agent the way an admin's browser does: open the install path, follow the CRM's authorize page (the
 * sandboxes approve at once) back to the callback, carrying the cookies a browser would. Returns the installed
 * tenant's id and the session cookie.
 */
export async function followOAuthInstall(
  appUrl: string,
  installPath: string,
  fetchImpl: typeof fetch = fetch,
): Promise<{ tenantId: string; cookie: string }> {
  const cookies = new Map<string, string>();
  const remember = (res: Response, url: string) => {
    if (!url.startsWith(appUrl)) return;
    for (const header of res.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const [name, ...value] = pair!.split('=');
      cookies.set(name!.trim(), value.join('='));
    }
  };
  let url = `${appUrl}${installPath}`;
  for (let hop = 0; hop < 6; hop++) {
    const headers = url.startsWith(appUrl)
      ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
      : undefined;
    const res = await fetchImpl(url, { redirect: 'manual', ...(headers ? { headers } : {}) });
    remember(res, url);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url).toString();
      const installed = new URL(next).searchParams.get('installed');
      if (installed && next.startsWith(appUrl))
        return { tenantId: installed, cookie: `crm_agent_session=${cookies.get('crm_agent_session') ?? ''}` };
      url = next;
      continue;
    }
    throw new CrmAgentError(
      ErrorCode.Usage,
      `install stopped at ${url} with HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`,
    );
  }
  throw new CrmAgentError(ErrorCode.Usage, `install did not come back to crm-agent after 6 redirects (last: ${url})`);
}
