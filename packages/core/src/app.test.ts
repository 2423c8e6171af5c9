import { describe, expect, it } from "vitest";
import { FastStream } from "./app.js";
import { StateError } from "./errors.js";
import type { LogFields, Logger } from "./logger.js";

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A fake BrokerLifecycle recording calls into a shared event log. */
function fakeBroker(events: string[], behaviour: { start?: () => Promise<void>; stop?: () => Promise<void> } = {}) {
  const broker = {
    starts: 0,
    stops: 0,
    async start(): Promise<void> {
      broker.starts++;
      events.push("broker.start");
      await behaviour.start?.();
      events.push("broker.started");
    },
    async stop(): Promise<void> {
      broker.stops++;
      events.push("broker.stop");
      await behaviour.stop?.();
    },
  };
  return broker;
}

function captureLogger(): Logger & { lines: { level: string; fields: LogFields; message: string }[] } {
  const lines: { level: string; fields: LogFields; message: string }[] = [];
  const at = (level: string) => (fields: LogFields, message: string) => {
    lines.push({ level, fields, message });
  };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function hooked(events: string[], broker: ReturnType<typeof fakeBroker>, logger: Logger = captureLogger()): FastStream {
  return new FastStream(broker, {
    logger,
    onStartup: () => events.push("onStartup"),
    afterStartup: [() => events.push("afterStartup:1"), async () => events.push("afterStartup:2")],
    onShutdown: () => events.push("onShutdown"),
    afterShutdown: () => events.push("afterShutdown"),
  });
}

describe("FastStream start/stop", () => {
  it("runs hooks around the broker in order", async () => {
    const events: string[] = [];
    const broker = fakeBroker(events);
    const app = hooked(events, broker).onStartup(() => events.push("onStartup:added"));
    expect(app.running).toBe(false);
    await app.start();
    expect(app.running).toBe(true);
    expect(events).toEqual([
      "onStartup",
      "onStartup:added",
      "broker.start",
      "broker.started",
      "afterStartup:1",
      "afterStartup:2",
    ]);
    events.length = 0;
    await app.stop();
    expect(app.running).toBe(false);
    expect(events).toEqual(["onShutdown", "broker.stop", "afterShutdown"]);
  });

  it("start is idempotent, sequentially and concurrently", async () => {
    const events: string[] = [];
    const broker = fakeBroker(events);
    const app = hooked(events, broker);
    await Promise.all([app.start(), app.start()]);
    await app.start();
    expect(broker.starts).toBe(1);
    expect(events.filter((e) => e === "afterStartup:1")).toHaveLength(1);
    expect(app.running).toBe(true);
  });

  it("stop without start is a no-op, and stop is idempotent", async () => {
    const events: string[] = [];
    const broker = fakeBroker(events);
    const app = hooked(events, broker);
    await app.stop();
    expect(events).toEqual([]);
    await app.start();
    await app.stop();
    await app.stop();
    expect(broker.stops).toBe(1);
    expect(events.filter((e) => e === "onShutdown")).toHaveLength(1);
  });

  it("a failing broker start stops the broker, rethrows and leaves the app not running", async () => {
    const events: string[] = [];
    const boom = new Error("cannot connect");
    const broker = fakeBroker(events, { start: () => Promise.reject(boom) });
    const logger = captureLogger();
    const app = hooked(events, broker, logger);
    await expect(app.start()).rejects.toBe(boom);
    expect(app.running).toBe(false);
    expect(events).toEqual(["onStartup", "broker.start", "broker.stop"]);
    expect(logger.lines.some((l) => l.level === "error" && l.fields["err"] === boom)).toBe(true);
    await app.stop();
    expect(broker.stops).toBe(1);
  });

  it("a failing onStartup hook also stops the broker and rethrows", async () => {
    const events: string[] = [];
    const broker = fakeBroker(events);
    const app = new FastStream(broker, {
      logger: captureLogger(),
      onStartup: () => {
        throw new Error("not ready");
      },
    });
    await expect(app.start()).rejects.toThrow("not ready");
    expect(broker.starts).toBe(0);
    expect(broker.stops).toBe(1);
    expect(app.running).toBe(false);
  });

  it("can be started again after a failed start", async () => {
    const events: string[] = [];
    let attempt = 0;
    const broker = fakeBroker(events, {
      start: async () => {
        attempt++;
        if (attempt === 1) throw new Error("first attempt fails");
      },
    });
    const app = new FastStream(broker, { logger: captureLogger() });
    await expect(app.start()).rejects.toThrow("first attempt fails");
    await app.start();
    expect(broker.starts).toBe(2);
    expect(app.running).toBe(true);
  });

  it("stop() during a start in progress stops the broker and skips afterStartup", async () => {
    const events: string[] = [];
    const gate = deferred();
    const broker = fakeBroker(events, { start: () => gate.promise });
    const app = hooked(events, broker);
    const starting = app.start();
    // Wait until the broker's start is actually in progress (no timers: chain on our own promise).
    while (broker.starts === 0) await Promise.resolve();
    const stopping = app.stop();
    expect(broker.stops).toBe(1);
    expect(events).toEqual(["onStartup", "broker.start", "broker.stop"]);
    gate.resolve();
    await starting;
    await stopping;
    expect(events).not.toContain("afterStartup:1");
    expect(events).not.toContain("afterStartup:2");
    expect(app.running).toBe(false);
  });

  it("setBroker refuses to swap the broker of a running app", async () => {
    const events: string[] = [];
    const first = fakeBroker(events);
    const second = fakeBroker(events);
    const app = new FastStream(undefined, { logger: captureLogger() });
    expect(app.setBroker(first).broker).toBe(first);
    await app.start();
    expect(() => app.setBroker(second)).toThrow(StateError);
    await app.stop();
    expect(app.setBroker(second).broker).toBe(second);
  });
});

describe("FastStream.run", () => {
  it("starts, then stops when the AbortSignal aborts", async () => {
    const events: string[] = [];
    const started = deferred();
    const broker = fakeBroker(events);
    const app = new FastStream(broker, { logger: captureLogger(), afterStartup: () => started.resolve() });
    const controller = new AbortController();
    const running = app.run({ signal: controller.signal, signals: [] });
    await started.promise;
    await app.start(); // queued behind the in-progress start: resolves once running
    expect(app.running).toBe(true);
    expect(broker.stops).toBe(0);
    controller.abort();
    await running;
    expect(broker.stops).toBe(1);
    expect(app.running).toBe(false);
  });

  it("does not start when the signal is already aborted", async () => {
    const events: string[] = [];
    const broker = fakeBroker(events);
    const app = new FastStream(broker, { logger: captureLogger() });
    await app.run({ signal: AbortSignal.abort(), signals: [] });
    expect(events).toEqual([]);
  });

  it("stops gracefully on a process signal and removes its listener", async () => {
    const events: string[] = [];
    const started = deferred();
    const broker = fakeBroker(events);
    const logger = captureLogger();
    const app = new FastStream(broker, { logger, afterStartup: () => started.resolve() });
    const listenersBefore = process.listenerCount("SIGUSR2");
    const running = app.run({ signals: ["SIGUSR2"] });
    expect(process.listenerCount("SIGUSR2")).toBe(listenersBefore + 1);
    await started.promise;
    await app.start();
    expect(app.running).toBe(true);
    process.emit("SIGUSR2", "SIGUSR2");
    await running;
    expect(broker.stops).toBe(1);
    expect(app.running).toBe(false);
    expect(process.listenerCount("SIGUSR2")).toBe(listenersBefore);
    expect(logger.lines.some((l) => l.fields["signal"] === "SIGUSR2" && l.message.includes("shutting down"))).toBe(
      true,
    );
  });
});
