export * from "./context.js";
export * from "./env.js";
export * from "./network.js";
export * from "./suite.js";
export { defineFaultSuite, type FaultSuiteDefinition } from "./faults.js";
