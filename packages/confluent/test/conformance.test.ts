import { defineKafkaSuite } from "@faststream/conformance";
import { KafkaBroker } from "@faststream/confluent";

defineKafkaSuite({
  name: "confluent",
  makeBroker: (servers, options) => new KafkaBroker(servers, options),
});
