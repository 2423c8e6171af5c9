import { describe, expect, it } from "vitest";
import {
  ConnectionError,
  DecodeError,
  FastStreamError,
  formatLocation,
  HandlerError,
  isFastStreamError,
  PublishError,
  SetupError,
  StateError,
  ValidationError,
} from "./errors.js";

const loc = { topic: "payments", partition: 0, offset: "123" };

describe("formatLocation", () => {
  it("formats topic[partition]@offset and omits missing parts", () => {
    expect(formatLocation(loc)).toBe("payments[0]@123");
    expect(formatLocation({ topic: "t", partition: 3 })).toBe("t[3]");
    expect(formatLocation({ topic: "t", offset: 9 })).toBe("t@9");
    expect(formatLocation({ topic: "t" })).toBe("t");
  });
});

describe("error classes", () => {
  it("carry stable codes and their class name", () => {
    const cases: [FastStreamError, string, string][] = [
      [new SetupError("groupId", "bad"), "SETUP", "SetupError"],
      [new DecodeError(loc, "bad"), "DECODE", "DecodeError"],
      [new ValidationError(loc, []), "VALIDATION", "ValidationError"],
      [new HandlerError(loc, new Error("x")), "HANDLER", "HandlerError"],
      [new PublishError("t", "x"), "PUBLISH", "PublishError"],
      [new ConnectionError("x"), "CONNECTION", "ConnectionError"],
      [new StateError("x"), "STATE", "StateError"],
    ];
    for (const [err, code, name] of cases) {
      expect(err.code).toBe(code);
      expect(err.name).toBe(name);
      expect(err).toBeInstanceOf(FastStreamError);
      expect(err).toBeInstanceOf(Error);
    }
  });

  it("SetupError names the option", () => {
    const err = new SetupError("sessionTimeoutMs", "expected an integer");
    expect(err.option).toBe("sessionTimeoutMs");
    expect(err.message).toBe('Invalid option "sessionTimeoutMs": expected an integer');
  });

  it("DecodeError keeps the cause and names the message location", () => {
    const cause = new SyntaxError("Unexpected token");
    const err = new DecodeError(loc, "body is not valid JSON", { cause });
    expect(err.cause).toBe(cause);
    expect(err.location).toBe(loc);
    expect(err.message).toBe("body is not valid JSON (message payments[0]@123)");
  });

  it("ValidationError lists every issue and the location", () => {
    const issues = [
      { path: "user.id", message: "Required" },
      { path: "", message: "Too many keys" },
    ];
    const err = new ValidationError(loc, issues);
    expect(err.issues).toEqual(issues);
    expect(err.message).toBe("Body failed validation: user.id: Required; Too many keys (message payments[0]@123)");
  });

  it("HandlerError describes Error and non-Error causes", () => {
    const cause = new TypeError("boom");
    const err = new HandlerError(loc, cause);
    expect(err.cause).toBe(cause);
    expect(err.message).toBe("Handler failed: TypeError: boom (message payments[0]@123)");
    expect(new HandlerError({ topic: "t" }, "plain").message).toBe("Handler failed: plain (message t)");
  });

  it("PublishError names the topic", () => {
    const err = new PublishError("out", "timed out");
    expect(err.topic).toBe("out");
    expect(err.message).toBe('Publish to "out" failed: timed out');
  });
});

describe("isFastStreamError", () => {
  it("accepts every FastStream error", () => {
    expect(isFastStreamError(new SetupError("x", "y"))).toBe(true);
    expect(isFastStreamError(new FastStreamError("CUSTOM", "y"))).toBe(true);
    expect(isFastStreamError(new ValidationError(loc, []))).toBe(true);
  });

  it("recognises the brand from another copy of the package", () => {
    const foreign = Object.assign(new Error("other copy"), { [Symbol.for("faststream.error")]: true, code: "SETUP" });
    expect(isFastStreamError(foreign)).toBe(true);
  });

  it("rejects plain errors, look-alike objects and primitives", () => {
    expect(isFastStreamError(new Error("x"))).toBe(false);
    expect(isFastStreamError({ code: "SETUP", message: "x", name: "SetupError" })).toBe(false);
    expect(isFastStreamError({ [Symbol("faststream.error")]: true })).toBe(false);
    expect(isFastStreamError(null)).toBe(false);
    expect(isFastStreamError(undefined)).toBe(false);
    expect(isFastStreamError("SetupError")).toBe(false);
  });
});
