#!/usr/bin/env node
/**
 * `faststream-kafka-local`: runs a local Kafka-protocol cluster until interrupted.
 *
 *   faststream-kafka-local [--brokers 3] [--topic name:partitions ...] [--control-port N]
 *
 * Prints `KAFKA_BROKERS=<bootstrap>` and `KAFKA_LOCAL_CONTROL=<url>` lines, then serves.
 */
import { parseArgs } from "node:util";
import { startLocalCluster } from "./cluster.js";
import { serveControl } from "./control.js";

const USAGE = "usage: faststream-kafka-local [--brokers N] [--topic name:partitions]... [--control-port N]";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      brokers: { type: "string", default: "3" },
      topic: { type: "string", multiple: true, default: [] },
      "control-port": { type: "string", default: "0" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const brokers = Number(values.brokers);
  const topics: Record<string, number> = {};
  for (const spec of values.topic) {
    const [name, partitions = "1"] = spec.split(":");
    if (!name || !/^\d+$/.test(partitions)) throw new Error(`bad --topic ${spec}; ${USAGE}`);
    topics[name] = Number(partitions);
  }
  const cluster = await startLocalCluster({ brokers, topics });
  const control = await serveControl(cluster, Number(values["control-port"]));
  const keepAlive = setInterval(() => {}, 1 << 30);
  const shutdown = async (): Promise<void> => {
    clearInterval(keepAlive);
    await control.close();
    await cluster.stop();
    process.exit(0);
  };
  // Handlers first: whoever reads "serving" may signal at once.
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
  console.log(`KAFKA_BROKERS=${cluster.bootstrapServers}`);
  console.log(`KAFKA_LOCAL_CONTROL=${control.url}`);
  console.log(`local Kafka cluster with ${brokers} broker(s) is serving; Ctrl+C to stop`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
