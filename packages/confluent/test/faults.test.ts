import { defineFaultSuite } from "@faststream/conformance";
import { KafkaBroker } from "@faststream/confluent";

defineFaultSuite({ name: "confluent", make: (servers, options) => new KafkaBroker(servers, options) });
