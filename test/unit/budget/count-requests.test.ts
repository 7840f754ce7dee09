import { describe, expect, it } from '@jest/globals';
import { countRequests } from '../../../src/budget/count-requests.js';

describe('countRequests', () => {
  it('counts every answered request, reads and writes, whatever the status, and not one that never arrived', async () => {
    let counted = 0;
    const answers = [new Response('{}', { status: 200 }), new Response('', { status: 429 })];
    const fetchImpl = countRequests(
      async (_input, init) => {
        if (init?.method === 'DELETE') throw new TypeError('fetch failed');
        return answers.shift() ?? new Response('{}', { status: 201 });
      },
      () => {
        counted++;
      },
    );
    await fetchImpl('https://api.example/crm/v3/objects/contacts');
    await fetchImpl('https://api.example/crm/v3/objects/contacts/batch/update', { method: 'POST' });
    expect((await fetchImpl('https://api.example/tasks', { method: 'POST' })).status).toBe(201);
    await expect(fetchImpl('https://api.example/x', { method: 'DELETE' })).rejects.toThrow('fetch failed');
    expect(counted).toBe(3);
  });
});
