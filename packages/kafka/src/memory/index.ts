/** In-memory Kafka transport: no network, Kafka's semantics (used by TestKafkaBroker and tests). */
export { MemoryCluster, type MemoryMember } from "./cluster.js";
export { MemoryDriver } from "./driver.js";
