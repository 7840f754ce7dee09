/**
 * The webhook-load benchmark's client, its own process (as HubSpot is): sends signed HubSpot batches `concurrency`
 * at a time while polling /healthz every 50 ms; prints ack latencies, resets (requests that failed without an
 * answer) and health-check latencies as JSON.
 * Usage: webhook-load-client.ts <port> <secret> <requests> <concurrency> <records>
 */
import { createHmac } from 'node:crypto';

const [port, secret, requestsArg, concurrencyArg, recordsArg] = process.argv.slice(2);
const requests = Number(requestsArg);
const concurrency = Number(concurrencyArg);
const records = Number(recordsArg);
const base = `http://127.0.0.1:${port}`;
let next = 0;
let resets = 0;
let refused = 0;
const latencies: number[] = [];
const health: number[] = [];

async function send(): Promise<void> {
  while (next < requests) {
    const n = next++;
    const events = Array.from({ length: 5 }, (_, i) => ({
      eventId: n * 5 + i,
      subscriptionId: 1,
      portalId: 4242,
      appId: 1,
      occurredAt: Date.now(),
      subscriptionType: 'contact.propertyChange',
      objectId: 100_000 + ((n * 5 + i) % records),
      propertyName: 'lifecyclestage',
      propertyValue: 'customer',
      attemptNumber: 0,
    }));
    const body = JSON.stringify(events);
    const timestamp = String(Date.now());
    const signature = createHmac('sha256', secret!)
      .update(`POSThttp://127.0.0.1/webhooks/hubspot${body}${timestamp}`)
      .digest('base64');
    const started = performance.now();
    try {
      const res = await fetch(`${base}/webhooks/hubspot`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hubspot-signature-v3': signature,
          'x-hubspot-request-timestamp': timestamp,
        },
        body,
      });
      await res.arrayBuffer();
      if (res.status !== 200) refused += 1;
      latencies.push(performance.now() - started);
    } catch {
      resets += 1;
    }
  }
}

let sending = true;
async function pollHealth(): Promise<void> {
  while (sending) {
    const started = performance.now();
    try {
      const res = await fetch(`${base}/healthz`);
      await res.arrayBuffer();
      health.push(performance.now() - started);
    } catch {
      resets += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const started = performance.now();
const poller = pollHealth();
await Promise.all(Array.from({ length: concurrency }, send));
sending = false;
await poller;
process.stdout.write(
  JSON.stringify({ seconds: (performance.now() - started) / 1000, latencies, health, resets, refused }),
);
