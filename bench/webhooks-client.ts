/**
 * The webhook benchmark's load generator, run as its own process so it does not share the server's event loop:
 * sends signed HubSpot batches and prints each request's latency (ms) as JSON.
 * Usage: webhooks-client.ts <port> <secret> <requests> <eventsPerRequest> <concurrency>
 */
import { createHmac } from 'node:crypto';

const [port, secret, requestsArg, perArg, concurrencyArg] = process.argv.slice(2);
const requests = Number(requestsArg);
const perRequest = Number(perArg);
const concurrency = Number(concurrencyArg);
const url = `http://127.0.0.1:${port}/webhooks/hubspot`;
let next = 0;
const latencies: number[] = [];

async function send(): Promise<void> {
  while (next < requests) {
    const n = next++;
    // 10 % of events repeat an earlier one, as HubSpot's at-least-once delivery produces.
    const events = Array.from({ length: perRequest }, (_, i) => {
      const id = n > 10 && i === 0 ? (n - 7) * perRequest : n * perRequest + i;
      return {
        eventId: id,
        subscriptionId: 1,
        portalId: 4242,
        appId: 1,
        occurredAt: Date.now(),
        subscriptionType: 'contact.propertyChange',
        objectId: 1000 + (id % 5000),
        propertyName: 'lifecyclestage',
        propertyValue: 'customer',
        attemptNumber: 0,
      };
    });
    const body = JSON.stringify(events);
    const timestamp = String(Date.now());
    const signature = createHmac('sha256', secret!)
      .update(`POSThttp://127.0.0.1/webhooks/hubspot${body}${timestamp}`)
      .digest('base64');
    const started = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': signature,
        'x-hubspot-request-timestamp': timestamp,
      },
      body,
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    latencies.push(performance.now() - started);
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, send));
process.stdout.write(JSON.stringify({ seconds: (performance.now() - started) / 1000, latencies }));
