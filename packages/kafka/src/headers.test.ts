import { describe, expect, it } from "vitest";
import type { RawHeaders } from "./driver.js";
import { decodeHeaders, encodeHeaders, HeaderName, headerText, setHeader } from "./headers.js";

const binary = Buffer.from([0xc3, 0x28, 0xff]);

describe("HeaderName", () => {
  it("uses the Python FastStream header names", () => {
    expect(HeaderName).toEqual({ contentType: "content-type", correlationId: "correlation_id", replyTo: "reply_to" });
  });
});

describe("decodeHeaders", () => {
  it("returns an empty object for missing headers", () => {
    expect(decodeHeaders(undefined)).toEqual({});
    expect(decodeHeaders({})).toEqual({});
  });

  it("keeps strings and decodes UTF-8 Buffers to strings", () => {
    expect(decodeHeaders({ a: "text", b: Buffer.from("zé", "utf8"), empty: Buffer.alloc(0) })).toEqual({
      a: "text",
      b: "zé",
      empty: "",
    });
  });

  it("keeps binary values as the original Buffer", () => {
    const decoded = decodeHeaders({ bin: binary });
    expect(decoded["bin"]).toBe(binary);
    expect(Buffer.isBuffer(decoded["bin"])).toBe(true);
  });

  it("takes the last value of a repeated key", () => {
    expect(decodeHeaders({ k: [Buffer.from("first"), "second", Buffer.from("third")] })).toEqual({ k: "third" });
    expect(decodeHeaders({ k: ["text", binary] })["k"]).toBe(binary);
  });

  it("skips undefined values and empty arrays", () => {
    const decoded = decodeHeaders({ gone: undefined, none: [], kept: "x" });
    expect(decoded).toEqual({ kept: "x" });
    expect(Object.keys(decoded)).toEqual(["kept"]);
  });
});

describe("headerText", () => {
  const raw: RawHeaders = {
    str: "plain",
    buf: Buffer.from("from-bytes"),
    bin: binary,
    many: ["old", Buffer.from("new")],
    binLast: ["text", binary],
    none: undefined,
  };

  it("reads text values from strings, Buffers and arrays (last wins)", () => {
    expect(headerText(raw, "str")).toBe("plain");
    expect(headerText(raw, "buf")).toBe("from-bytes");
    expect(headerText(raw, "many")).toBe("new");
  });

  it("returns undefined for binary, missing or undefined values", () => {
    expect(headerText(raw, "bin")).toBeUndefined();
    expect(headerText(raw, "binLast")).toBeUndefined();
    expect(headerText(raw, "none")).toBeUndefined();
    expect(headerText(raw, "absent")).toBeUndefined();
    expect(headerText(undefined, "str")).toBeUndefined();
  });
});

describe("encodeHeaders", () => {
  it("keeps strings and Buffers, drops undefined", () => {
    const buf = Buffer.from("b");
    const out = encodeHeaders({ s: "v", b: buf, u: undefined });
    expect(out).toEqual({ s: "v", b: buf });
    expect(out["b"]).toBe(buf);
    expect(Object.hasOwn(out, "u")).toBe(false);
  });

  it("converts Uint8Array (including views) to Buffers over the right bytes", () => {
    const backing = new Uint8Array([7, 1, 2, 3, 7]);
    const out = encodeHeaders({ view: backing.subarray(1, 4), whole: new Uint8Array([9]) });
    expect(Buffer.isBuffer(out["view"])).toBe(true);
    expect([...(out["view"] as Buffer)]).toEqual([1, 2, 3]);
    expect(Buffer.isBuffer(out["whole"])).toBe(true);
    expect([...(out["whole"] as Buffer)]).toEqual([9]);
  });

  it("merges into the given target, later values overriding", () => {
    const target: Record<string, Buffer | string> = { keep: "k", over: "old" };
    const out = encodeHeaders({ over: "new", add: "a" }, target);
    expect(out).toBe(target);
    expect(target).toEqual({ keep: "k", over: "new", add: "a" });
  });

  it("returns the target unchanged (or a fresh object) without headers", () => {
    const target = { a: "1" };
    expect(encodeHeaders(undefined, target)).toBe(target);
    expect(target).toEqual({ a: "1" });
    expect(encodeHeaders(undefined)).toEqual({});
  });
});

describe("a header named __proto__", () => {
  /** Headers with an own `__proto__` property, as decoded from the wire. */
  function own(value: string | Buffer): Record<string, string | Buffer> {
    const headers: Record<string, string | Buffer> = { a: "x" };
    Object.defineProperty(headers, "__proto__", { value, enumerable: true, writable: true, configurable: true });
    return headers;
  }

  it("setHeader stores it as an own property and leaves the prototype alone", () => {
    const target: Record<string, string | Buffer> = {};
    setHeader(target, "__proto__", binary);
    setHeader(target, "constructor", "c");
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(Object.keys(target)).toEqual(["__proto__", "constructor"]);
    expect(target["__proto__"]).toBe(binary);
  });

  it("is decoded like any header, text or binary", () => {
    for (const value of ["text", binary]) {
      const decoded = decodeHeaders(own(value));
      expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
      expect(Object.hasOwn(decoded, "__proto__")).toBe(true);
      expect(decoded["__proto__"]).toBe(value);
      expect(decoded["a"]).toBe("x");
      expect(headerText(own(value), "__proto__")).toBe(typeof value === "string" ? value : undefined);
    }
  });

  it("is encoded like any header", () => {
    const encoded = encodeHeaders(own(binary));
    expect(Object.getPrototypeOf(encoded)).toBe(Object.prototype);
    expect(Object.keys(encoded).sort()).toEqual(["__proto__", "a"]);
    expect(encoded["__proto__"]).toBe(binary);
  });
});
