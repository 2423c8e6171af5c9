// The conformance suite on the in-memory transport (no network).
import { MemoryCluster, MemoryDriver } from "@faststream/kafka/memory";
import { KafkaBrokerBase } from "@faststream/kafka";
import { defineKafkaSuite } from "../src/index.js";

const cluster = new MemoryCluster();

defineKafkaSuite({
  name: "memory",
  capabilities: new MemoryDriver(cluster).capabilities,
  setup: async () => ({
    makeBroker: (options) => new KafkaBrokerBase("memory:9092", options, () => new MemoryDriver(cluster)),
    createTopic: async (name, partitions) => cluster.createTopic(name, partitions),
  }),
});
