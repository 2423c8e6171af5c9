import { describe, expect, it } from "vitest";
import {
  childLogger,
  consoleLogger,
  isLogLevel,
  type LogFields,
  type Logger,
  type LogLevel,
  silentLogger,
} from "./logger.js";

type Line = { level: Exclude<LogLevel, "silent">; line: string };

function capture(level?: LogLevel): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = consoleLogger({ ...(level ? { level } : {}), write: (lvl, line) => lines.push({ level: lvl, line }) });
  return { logger, lines };
}

/** Drops the leading ISO timestamp, checking it is one. */
function stripTime(line: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) (.*)$/s.exec(line);
  expect(match, `line has no timestamp: ${line}`).not.toBeNull();
  expect(Number.isNaN(Date.parse(match![1]!))).toBe(false);
  return match![2]!;
}

describe("consoleLogger", () => {
  it("formats LEVEL topic[partition]@offset message key=value", () => {
    const { logger, lines } = capture();
    logger.info({ topic: "orders", partition: 1, offset: 42, group: "g1", attempt: 2, meta: { a: 1 } }, "handled");
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe("info");
    expect(stripTime(lines[0]!.line)).toBe('INFO  orders[1]@42 handled group=g1 attempt=2 meta={"a":1}');
  });

  it("omits the location when there is no topic and skips undefined fields", () => {
    const { logger, lines } = capture();
    logger.warn({ partition: 3, skipped: undefined, reason: "slow" }, "no topic");
    expect(stripTime(lines[0]!.line)).toBe("WARN  no topic reason=slow");
    expect(lines[0]!.level).toBe("warn");
  });

  it("appends the error stack on its own line", () => {
    const { logger, lines } = capture();
    const err = new Error("kaput");
    logger.error({ topic: "t", err }, "failed");
    const [first, ...rest] = stripTime(lines[0]!.line).split("\n");
    expect(first).toBe("ERROR t failed");
    expect(rest.join("\n")).toBe(err.stack);
    logger.error({ err: "just a string" }, "failed again");
    expect(stripTime(lines[1]!.line)).toBe("ERROR failed again\njust a string");
  });

  it("defaults to info and drops lower levels", () => {
    const { logger, lines } = capture();
    logger.debug({}, "hidden");
    logger.info({}, "shown");
    expect(lines.map((l) => stripTime(l.line))).toEqual(["INFO  shown"]);
  });

  it("respects the configured level", () => {
    const warn = capture("warn");
    warn.logger.debug({}, "d");
    warn.logger.info({}, "i");
    warn.logger.warn({}, "w");
    warn.logger.error({}, "e");
    expect(warn.lines.map((l) => l.level)).toEqual(["warn", "error"]);

    const debug = capture("debug");
    debug.logger.debug({}, "d");
    expect(stripTime(debug.lines[0]!.line)).toBe("DEBUG d");

    const silent = capture("silent");
    silent.logger.error({}, "e");
    expect(silent.lines).toEqual([]);
  });

  it("child bindings merge, line fields win, and the child keeps the level", () => {
    const { logger, lines } = capture("warn");
    const child = logger.child!({ topic: "a", partition: 0, group: "g" });
    const grandchild = child.child!({ offset: 7, group: "g2" });
    child.info({}, "below level");
    grandchild.warn({ extra: "x" }, "msg");
    child.warn({ topic: "b" }, "override");
    expect(lines.map((l) => stripTime(l.line))).toEqual([
      "WARN  a[0]@7 msg group=g2 extra=x",
      "WARN  b[0] override group=g",
    ]);
  });
});

describe("silentLogger", () => {
  it("does nothing and its child is itself", () => {
    expect(() => silentLogger.error({ err: new Error("x") }, "ignored")).not.toThrow();
    expect(silentLogger.child!({ a: 1 })).toBe(silentLogger);
  });
});

describe("childLogger", () => {
  it("uses the logger's own child when it has one", () => {
    const { logger, lines } = capture();
    childLogger(logger, { topic: "t" }).info({}, "via child");
    expect(stripTime(lines[0]!.line)).toBe("INFO  t via child");
  });

  it("emulates child for a logger without one, keeping `this`", () => {
    const calls: { level: string; fields: LogFields; message: string }[] = [];
    class Plain implements Logger {
      readonly name = "plain";
      #push(level: string, fields: LogFields, message: string): void {
        calls.push({ level: `${this.name}:${level}`, fields, message });
      }
      debug(fields: LogFields, message: string): void {
        this.#push("debug", fields, message);
      }
      info(fields: LogFields, message: string): void {
        this.#push("info", fields, message);
      }
      warn(fields: LogFields, message: string): void {
        this.#push("warn", fields, message);
      }
      error(fields: LogFields, message: string): void {
        this.#push("error", fields, message);
      }
    }
    const child = childLogger(new Plain(), { topic: "t", group: "g" });
    child.info({ offset: 1, group: "override" }, "one");
    child.child!({ partition: 2 }).error({}, "two");
    child.debug({}, "three");
    child.warn({}, "four");
    expect(calls).toEqual([
      { level: "plain:info", fields: { topic: "t", group: "override", offset: 1 }, message: "one" },
      { level: "plain:error", fields: { topic: "t", group: "g", partition: 2 }, message: "two" },
      { level: "plain:debug", fields: { topic: "t", group: "g" }, message: "three" },
      { level: "plain:warn", fields: { topic: "t", group: "g" }, message: "four" },
    ]);
  });
});

describe("isLogLevel", () => {
  it("accepts the five level names only", () => {
    for (const level of ["debug", "info", "warn", "error", "silent"]) expect(isLogLevel(level)).toBe(true);
    for (const value of ["trace", "INFO", "", "toString", "constructor", 10, null, undefined]) {
      expect(isLogLevel(value)).toBe(false);
    }
  });
});
