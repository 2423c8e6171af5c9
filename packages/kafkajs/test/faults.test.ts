import { defineFaultSuite } from "@faststream/conformance";
import { KafkaBroker } from "@faststream/kafkajs";

defineFaultSuite({ name: "kafkajs", make: (servers, options) => new KafkaBroker(servers, options) });
