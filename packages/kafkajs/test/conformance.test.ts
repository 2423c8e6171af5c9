import { defineKafkaSuite } from "@faststream/conformance";
import { KafkaBroker } from "@faststream/kafkajs";

defineKafkaSuite({
  name: "kafkajs",
  makeBroker: (servers, options) => new KafkaBroker(servers, options),
});
