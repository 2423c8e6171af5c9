// The conformance suite on TestKafkaBroker's in-memory transport (no network): brokers are
// built like real ones and put in memory by TestKafkaBroker.
import { KafkaBrokerBase, type KafkaDriver, MemoryCluster, MemoryDriver, TestKafkaBroker } from "@faststream/kafka";
import { defineKafkaSuite } from "../src/index.js";

const cluster = new MemoryCluster();
const capabilities = new MemoryDriver(cluster).capabilities;
/** The network transport a broker is built with; TestKafkaBroker swaps it out before any use. */
const unused = (): KafkaDriver => {
  const fail = (): never => {
    throw new Error("TestKafkaBroker replaces the network transport");
  };
  return {
    capabilities: { ...capabilities, name: "network" },
    connect: fail,
    disconnect: fail,
    send: fail,
    createConsumer: fail,
    ping: fail,
  };
};

defineKafkaSuite({
  name: "memory (TestKafkaBroker)",
  capabilities: {
    name: "memory",
    staticMembership: true,
    maxPollInterval: true,
    assignmentStrategies: ["roundrobin", "range", "cooperative-sticky"],
    patternPicksUpNewTopics: true,
    network: false,
  },
  setup: async () => ({
    makeBroker: (options) => {
      const broker = new KafkaBrokerBase("localhost:9092", options, unused);
      // The suite awaits deliveries itself; publishes must not wait for processing here.
      new TestKafkaBroker(broker, { cluster, awaitProcessing: false }).enter();
      return broker;
    },
    createTopic: async (name, partitions) => cluster.createTopic(name, partitions),
  }),
});
