import { defineDriverSuite } from "@faststream/conformance/driver-suite";
import { createConfluentDriver } from "../src/driver.js";

defineDriverSuite({ name: "confluent", makeDriver: createConfluentDriver });
