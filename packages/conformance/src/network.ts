import type { DriverCapabilities, KafkaBrokerBase, KafkaBrokerOptions } from "@faststream/kafka";
import type { KafkaSuiteDefinition } from "./context.js";
import { testCluster } from "./env.js";

/** A suite definition for a network adapter against the test cluster (KAFKA_BROKERS or local). */
export function networkSuite(
  name: string,
  make: (servers: string, options: KafkaBrokerOptions) => KafkaBrokerBase,
): KafkaSuiteDefinition {
  const capabilities: DriverCapabilities = make("localhost:9092", { logLevel: "silent" }).driver.capabilities;
  return {
    name,
    capabilities,
    setup: async () => {
      const cluster = await testCluster();
      return {
        makeBroker: (options) => make(cluster.brokers, options),
        createTopic: (topic, partitions) => cluster.createTopic(topic, partitions),
      };
    },
  };
}
