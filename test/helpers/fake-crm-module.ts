import type { Contact } from '../../src/domain/records.js';
import { CrmApiError } from '../../src/lib/errors.js';
import type { CrmConnectorModule } from '../../src/ports/crm-connector.js';

/** A CRM module with no network: token `good-*` opens account 42, anything else is refused. */
export function fakeCrmModule(contacts: Contact[]): CrmConnectorModule & { tokensSeen: string[] } {
  const tokensSeen: string[] = [];
  return {
    crm: 'hubspot',
    tokensSeen,
    async identify({ apiBaseUrl, accessToken }) {
      if (!accessToken.startsWith('good-')) {
        throw new CrmApiError('401 Unauthorized: the token is invalid', {
          crm: 'hubspot',
          status: 401,
          retryable: false,
        });
      }
      return { externalId: '42', name: 'Portal 42', apiBaseUrl, userId: '005Hs00000AbCdEIAZ' };
    },
    create(context) {
      return {
        crm: 'hubspot',
        streams: () => [
          {
            name: 'contacts',
            async *read({ cursor }) {
              const offset = Number(cursor?.state.offset ?? 0);
              for (let i = offset; i < contacts.length; i += 2) {
                tokensSeen.push(await context.tokens.accessToken());
                await context.limiter.take('fake', { limit: 100, windowMs: 1000 });
                yield {
                  changes: { contacts: contacts.slice(i, i + 2) },
                  cursor: { watermark: null, state: { offset: i + 2 } },
                  requests: 1,
                  throttled: i === 0 ? 1 : 0,
                };
              }
            },
          },
        ],
      };
    },
  };
}
