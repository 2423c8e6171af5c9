// Batch consumption: the handler gets arrays of typed bodies plus per-record metadata.
import { FastStream } from "@faststream/core";
import { KafkaBroker } from "@faststream/kafkajs";
import { z } from "zod";
import { countdown, demo, servers } from "./_demo.js";

const cluster = await servers({ metrics: 1 });
const broker = new KafkaBroker(cluster.servers, { logLevel: "warn" });
const app = new FastStream(broker);

const Metric = z.object({ name: z.string(), value: z.number() });
const received = countdown(10);

broker
  .subscriber("metrics", { schema: Metric, groupId: "rollup", autoOffsetReset: "earliest", batch: true, maxRecords: 4 })
  .handle((metrics, messages) => {
    const sum = metrics.reduce((acc, m) => acc + m.value, 0);
    console.log(`batch of ${metrics.length} (offsets ${messages[0]!.offset}-${messages.at(-1)!.offset}): sum=${sum}`);
    for (const _ of metrics) received.tick();
  });

await demo(app, cluster, async () => {
  const results = await broker.publishBatch(
    Array.from({ length: 10 }, (_, i) => ({ body: { name: "cpu", value: i }, key: `host-${i % 2}` })),
    "metrics",
  );
  console.log(`published ${results.filter((r) => r.ok).length}/10`);
  await received.done;
});
