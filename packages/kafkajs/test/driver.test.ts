import { defineDriverSuite } from "@faststream/conformance/driver-suite";
import { createKafkajsDriver } from "../src/driver.js";

defineDriverSuite({ name: "kafkajs", makeDriver: createKafkajsDriver });
