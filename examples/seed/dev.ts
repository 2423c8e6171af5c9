// Development plumbing shared by the seed examples; not part of what users write.
import type { FastStream } from "@faststream/core";
import { type LocalKafkaCluster, startLocalCluster } from "@faststream/kafka-local";
import type { KafkaBroker } from "@faststream/kafkajs";

let embedded: LocalKafkaCluster | undefined;

/** `KAFKA_BROKERS` when set; otherwise starts an embedded local Kafka cluster. */
export async function bootstrapServers(): Promise<string> {
  const fromEnv = process.env["KAFKA_BROKERS"];
  if (fromEnv) return fromEnv;
  embedded = await startLocalCluster({ brokers: 3, topics: { "in-topic": 3, "out-topic": 3 } });
  console.log(`embedded local Kafka cluster at ${embedded.bootstrapServers} (set KAFKA_BROKERS to use your own)`);
  return embedded.bootstrapServers;
}

/**
 * On the embedded cluster only: publishes one sample message to in-topic once the app started
 * and logs everything that arrives on out-topic. The cluster stops with the app.
 */
export function demo(app: FastStream, broker: Pick<KafkaBroker, "subscriber" | "publish">): void {
  const cluster = embedded;
  if (!cluster) return;
  broker
    .subscriber("out-topic", { autoOffsetReset: "earliest", codec: "string" })
    .handle((body, message) => message.logger.info({}, `out-topic received: ${body}`));
  app.afterStartup(() => broker.publish({ user: "John", user_id: 1 }, "in-topic"));
  app.afterShutdown(() => cluster.stop());
}
