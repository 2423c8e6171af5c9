/**
 * vitest global setup: uses the Kafka cluster at `KAFKA_BROKERS` when set; otherwise starts a
 * local Kafka-protocol cluster in this process for the whole run.
 */
import { type LocalKafkaCluster, serveControl, startLocalCluster } from "@faststream/kafka-local";
import type { TestProject } from "vitest/node";
import type {} from "./env.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env["KAFKA_BROKERS"];
  if (external) {
    project.provide("kafkaBrokers", external);
    project.provide("kafkaLocalControl", process.env["KAFKA_LOCAL_CONTROL"]);
    return async () => {};
  }
  const cluster: LocalKafkaCluster = await startLocalCluster({ brokers: 3 });
  const control = await serveControl(cluster);
  project.provide("kafkaBrokers", cluster.bootstrapServers);
  project.provide("kafkaLocalControl", control.url);
  return async () => {
    await control.close();
    await cluster.stop();
  };
}
