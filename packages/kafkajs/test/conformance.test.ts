import { defineKafkaSuite, networkSuite } from "@faststream/conformance";
import { KafkaBroker } from "@faststream/kafkajs";

defineKafkaSuite(networkSuite("kafkajs", (servers, options) => new KafkaBroker(servers, options)));
