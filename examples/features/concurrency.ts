// Concurrency: up to maxWorkers handlers at once, keeping order per key (or per partition).
import { FastStream } from "@faststream/core";
import { KafkaBroker } from "@faststream/kafkajs";
import { countdown, demo, servers } from "./_demo.js";

const cluster = await servers({ events: 3 });
const broker = new KafkaBroker(cluster.servers, { logLevel: "warn" });
const app = new FastStream(broker);

const handled = countdown(12);
const perKey = new Map<string, number[]>();
let inFlight = 0;
let maxInFlight = 0;

broker
  .subscriber("events", {
    groupId: "workers",
    autoOffsetReset: "earliest",
    maxWorkers: 4,
    ordering: "key",
    codec: "json",
  })
  .handle(async (event, message) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 20)); // simulated I/O
    const seq = (event as { seq: number }).seq;
    perKey.set(message.keyText!, [...(perKey.get(message.keyText!) ?? []), seq]);
    inFlight--;
    handled.tick();
  });

await demo(app, cluster, async () => {
  await broker.publishBatch(
    Array.from({ length: 12 }, (_, seq) => ({ body: { seq }, key: `user-${seq % 4}` })),
    "events",
  );
  await handled.done;
  console.log(`max handlers in flight: ${maxInFlight}`);
  for (const [key, seqs] of perKey) console.log(`${key}: ${seqs.join(",")} (in order)`);
});
