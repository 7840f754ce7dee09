/**
 * The webhook-load benchmark's client, its own process (as HubSpot is): sends signed HubSpot batches `concurrency`
 * at a time while polling /healthz every 50 ms; prints ack latencies, resets (requests that failed without an
 * answer) and health-check latencies as JSON.
 * The first `warmup` requests open the connections and warm the server's code (a long-running server is warm; a cold
 * one answers its first burst of 50 in 0.3–0.7 s while V8 compiles the request path): their latencies and the
 * health checks taken meanwhile are reported apart, not left out.
 * Usage: webhook-load-client.ts <port> <secret> <requests> <concurrency> <records> [warmup]
 */
import { createHmac } from 'node:crypto';

const [port, secret, requestsArg, concurrencyArg, recordsArg, warmupArg] = process.argv.slice(2);
const warmup = Number(warmupArg ?? 0);
const requests = warmup + Number(requestsArg);
const concurrency = Number(concurrencyArg);
const records = Number(recordsArg);
const base = `http://127.0.0.1:${port}`;
let next = 0;
let resets = 0;
let refused = 0;
const latencies: number[] = [];
const health: number[] = [];
const warmLatencies: number[] = [];
const warmHealth: number[] = [];

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
      (n < warmup ? warmLatencies : latencies).push(performance.now() - started);
    } catch {
      resets += 1;
    }
  }
}

let sending = true;
async function pollHealth(): Promise<void> {
  while (sending) {
    const started = performance.now();
    const warming = next < warmup;
    try {
      const res = await fetch(`${base}/healthz`);
      await res.arrayBuffer();
      (warming ? warmHealth : health).push(performance.now() - started);
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
  JSON.stringify({
    seconds: (performance.now() - started) / 1000,
    latencies,
    health,
    warmLatencies,
    warmHealth,
    resets,
    refused,
  }),
);
