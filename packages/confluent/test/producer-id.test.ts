import { CapturingLogger } from "@faststream/conformance";
import { describe, expect, it } from "vitest";
import { ProducerIdWatch } from "../src/producer-id.js";

const line = (fac: string, message: string) => ({ severity: 7, fac, message: `[thrd:main]: ${message}` });

describe("ProducerIdWatch", () => {
  it("a wait ends with true on librdkafka's state change into Assigned, and later waits end at once", async () => {
    const watch = new ProducerIdWatch(new CapturingLogger());
    const waiting = watch.wait(60_000);
    watch.onLog(line("IDEMPSTATE", "Idempotent producer state change WaitTransport -> WaitPID"));
    watch.onLog(line("GETPID", "Acquired PID{Id:1,Epoch:0}"));
    expect(watch.assigned).toBe(false);
    watch.onLog(line("IDEMPSTATE", "Idempotent producer state change WaitPID -> Assigned"));
    expect(await waiting).toBe(true);
    expect(await watch.wait(60_000)).toBe(true);
  });

  it("a wait ends with false after its timeout, or when the producer goes away", async () => {
    const watch = new ProducerIdWatch(new CapturingLogger());
    expect(await watch.wait(1)).toBe(false);
    const waiting = watch.wait(60_000);
    watch.settle(false);
    expect(await waiting).toBe(false);
    expect(watch.assigned).toBe(false);
  });

  it("every line reaches the logger at debug level", () => {
    const logger = new CapturingLogger();
    new ProducerIdWatch(logger).onLog(line("DRAIN", "t [0] beginning partition drain"));
    expect(logger.lines.some((l) => l.level === "debug" && l.message.includes("beginning partition drain"))).toBe(true);
  });
});
