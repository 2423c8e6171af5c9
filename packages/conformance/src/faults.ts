/**
 * The fault suite ("delivery guarantees under faults"): each case publishes a known set of
 * keyed, numbered messages while a subscriber group consumes them, breaks something mid-stream
 * (a broker, requests, leadership, a consumer process, the group's membership), heals it, and
 * asserts that nothing acknowledged was lost, that first occurrences kept their order, and
 * that duplicates appear only where at-least-once allows them. Each case prints one line:
 * `FAULT <adapter> <case>: sent=N handled=N lost=N duplicated=N (...)`. It runs against the
 * fault cluster (`faultCluster()`) and needs the local cluster's control endpoint.
 */
import { describe } from "vitest";
import { type FaultSuiteDefinition, faultContext } from "./faults-context.js";
import { brokerFaultCases } from "./faults-brokers.js";
import { requestErrorCases } from "./faults-errors.js";
import { groupFaultCases } from "./faults-group.js";

export type { FaultSuiteDefinition };

/**
 * Registers the fault suite for one adapter (run by each adapter's `test/faults.test.ts`).
 *
 * @example
 * defineFaultSuite({ name: "kafkajs", make: (servers, options) => new KafkaBroker(servers, options) });
 */
export function defineFaultSuite(def: FaultSuiteDefinition): void {
  const ctx = faultContext(def);
  describe(`faults: ${def.name}`, () => {
    describe("brokers", () => brokerFaultCases(ctx));
    describe("request errors", () => requestErrorCases(ctx));
    describe("consumer group", () => groupFaultCases(ctx));
  });
}
