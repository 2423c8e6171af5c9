/**
 * A real Kafka-protocol cluster for development and tests, with no JVM and no Docker:
 * librdkafka's mock cluster, started in-process. Use `startLocalCluster()` from code or the
 * `faststream-kafka-local` CLI.
 */
export {
  ApiKey,
  type LocalClusterControl,
  LocalClusterError,
  type LocalClusterOptions,
  LocalKafkaCluster,
  startLocalCluster,
} from "./cluster.js";
export { type ControlServer, LocalClusterClient, serveControl } from "./control.js";
export { findLibrdkafka } from "./native.js";
