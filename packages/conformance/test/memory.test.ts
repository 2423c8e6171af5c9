// The conformance suite on TestKafkaBroker's in-memory transport (no network): brokers are
// built like real ones and put in memory by TestKafkaBroker.
import { KafkaBrokerBase, MemoryCluster, TestKafkaBroker } from "@faststream/kafka";
import { defineKafkaSuite } from "../src/index.js";

const cluster = new MemoryCluster();
const unused = () => {
  throw new Error("TestKafkaBroker replaces the network transport");
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
