/**
 * FastStream for TypeScript on @confluentinc/kafka-javascript. Exports the same API as `@faststream/kafkajs`:
 * swap backends by changing this one import.
 */
import { KafkaBrokerBase, type KafkaBrokerOptions } from "@faststream/kafka";
import { createConfluentDriver } from "./driver.js";

/**
 * A Kafka broker backed by @confluentinc/kafka-javascript (librdkafka).
 *
 * @example
 * const broker = new KafkaBroker("localhost:9092");
 * const app = new FastStream(broker);
 */
export class KafkaBroker extends KafkaBrokerBase {
  /**
   * @param bootstrapServers `host:port`, a comma-separated list, or an array. Default `localhost:9092`.
   * @param options Broker options (client id, logger, timeouts).
   */
  constructor(bootstrapServers: string | readonly string[] = "localhost:9092", options: KafkaBrokerOptions = {}) {
    super(bootstrapServers, options, createConfluentDriver);
  }
}

export * from "@faststream/kafka";
