/**
 * vitest global setup: uses the Kafka cluster at `KAFKA_BROKERS` when set; otherwise starts a
 * local Kafka-protocol cluster in this process for the whole run, plus a second one that fault
 * suites break on purpose (so faults never reach test files running in parallel).
 */
import { type LocalKafkaCluster, serveControl, startLocalCluster } from "@faststream/kafka-local";
import type { TestProject } from "vitest/node";
import type {} from "./env.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env["KAFKA_BROKERS"];
  if (external) {
    project.provide("kafkaBrokers", external);
    project.provide("kafkaLocalControl", process.env["KAFKA_LOCAL_CONTROL"]);
    project.provide("kafkaFaultBrokers", external);
    project.provide("kafkaFaultControl", process.env["KAFKA_LOCAL_CONTROL"]);
    return async () => {};
  }
  const cluster: LocalKafkaCluster = await startLocalCluster({ brokers: 3 });
  const control = await serveControl(cluster);
  const faults: LocalKafkaCluster = await startLocalCluster({ brokers: 3 });
  const faultControl = await serveControl(faults);
  project.provide("kafkaBrokers", cluster.bootstrapServers);
  project.provide("kafkaLocalControl", control.url);
  project.provide("kafkaFaultBrokers", faults.bootstrapServers);
  project.provide("kafkaFaultControl", faultControl.url);
  return async () => {
    await Promise.all([control.close(), faultControl.close()]);
    await Promise.all([cluster.stop(), faults.stop()]);
  };
}
