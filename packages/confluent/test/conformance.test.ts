import { defineKafkaSuite, networkSuite } from "@faststream/conformance";
import { KafkaBroker } from "@faststream/confluent";

defineKafkaSuite(networkSuite("confluent", (servers, options) => new KafkaBroker(servers, options)));
