import { describe, expect, it } from "vitest";
import {
  autoCodec,
  bytesCodec,
  type Codec,
  ContentType,
  decodeHeaderValue,
  EncodeError,
  encodeValue,
  jsonCodec,
  parseJson,
  resolveCodec,
  stringCodec,
} from "./codec.js";
import { DecodeError, isFastStreamError, SetupError } from "./errors.js";

const loc = { topic: "orders", partition: 2, offset: 17 };
const utf8 = (s: string): Buffer => Buffer.from(s, "utf8");
const invalidUtf8 = Buffer.from([0xff, 0xfe, 0xfd]);

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to throw");
}

describe("autoCodec.decode", () => {
  it("parses application/json, including parameters and mixed case", () => {
    expect(autoCodec.decode(utf8('{"a":1}'), "application/json", loc)).toEqual({ a: 1 });
    expect(autoCodec.decode(utf8("[1,2]"), "Application/JSON; charset=utf-8", loc)).toEqual([1, 2]);
  });

  it("parses +json structured syntax types", () => {
    expect(autoCodec.decode(utf8('{"id":"x"}'), "application/vnd.acme.order+json", loc)).toEqual({ id: "x" });
  });

  it("returns a string for text/* even when the text looks like JSON", () => {
    expect(autoCodec.decode(utf8('{"a":1}'), "text/plain", loc)).toBe('{"a":1}');
    expect(autoCodec.decode(utf8("héllo"), "text/csv", loc)).toBe("héllo");
  });

  it("returns the bytes untouched for application/octet-stream", () => {
    const body = utf8('{"a":1}');
    expect(autoCodec.decode(body, ContentType.bytes, loc)).toBe(body);
  });

  it("without a content type tries JSON, then text, then bytes", () => {
    expect(autoCodec.decode(utf8('{"a":[1,true,null]}'), undefined, loc)).toEqual({ a: [1, true, null] });
    expect(autoCodec.decode(utf8("42"), undefined, loc)).toBe(42);
    expect(autoCodec.decode(utf8("not json"), undefined, loc)).toBe("not json");
    expect(autoCodec.decode(invalidUtf8, undefined, loc)).toBe(invalidUtf8);
  });

  it("treats an empty content type like a missing one", () => {
    expect(autoCodec.decode(utf8('{"a":1}'), "", loc)).toEqual({ a: 1 });
  });

  it("decodes a null body (tombstone) to null whatever the content type", () => {
    expect(autoCodec.decode(null, undefined, loc)).toBeNull();
    expect(autoCodec.decode(null, "application/json", loc)).toBeNull();
  });

  it("raises a DecodeError naming the location for invalid JSON under application/json", () => {
    const err = catchError(() => autoCodec.decode(utf8("{nope"), "application/json", loc));
    expect(err).toBeInstanceOf(DecodeError);
    const decodeErr = err as DecodeError;
    expect(decodeErr.code).toBe("DECODE");
    expect(decodeErr.message).toContain("not valid JSON");
    expect(decodeErr.message).toContain("(message orders[2]@17)");
    expect(decodeErr.location).toEqual(loc);
    expect(decodeErr.cause).toBeInstanceOf(SyntaxError);
  });

  it("raises a DecodeError for invalid UTF-8 under text/* and JSON types", () => {
    const textErr = catchError(() => autoCodec.decode(invalidUtf8, "text/plain", loc));
    expect(textErr).toBeInstanceOf(DecodeError);
    expect((textErr as Error).message).toContain("not valid UTF-8");
    expect((textErr as Error).message).toContain("orders[2]@17");
    expect(() => autoCodec.decode(invalidUtf8, "application/json", loc)).toThrow(DecodeError);
  });

  it("tells an encoded U+FFFD (valid) from invalid bytes that decode to it", () => {
    expect(autoCodec.decode(utf8("a\uFFFDb"), "text/plain", loc)).toBe("a\uFFFDb");
    expect(autoCodec.decode(utf8('{"s":"\uFFFD"}'), undefined, loc)).toEqual({ s: "\uFFFD" });
    const mixed = Buffer.concat([utf8('"\uFFFD'), Buffer.from([0xc3]), utf8('"')]);
    expect(() => autoCodec.decode(mixed, "application/json", loc)).toThrow(DecodeError);
    // Without a content type, bytes that are not UTF-8 stay bytes.
    expect(autoCodec.decode(mixed, undefined, loc)).toBe(mixed);
  });
});

describe("__proto__ keys", () => {
  const hostile = '{"__proto__":{"polluted":true},"safe":1,"nested":{"__proto__":{"polluted":true},"x":2}}';

  it("parseJson drops them at every depth", () => {
    const value = parseJson(hostile, loc) as Record<string, unknown>;
    expect(Object.hasOwn(value, "__proto__")).toBe(false);
    expect(value["safe"]).toBe(1);
    const nested = value["nested"] as Record<string, unknown>;
    expect(Object.hasOwn(nested, "__proto__")).toBe(false);
    expect(nested["x"]).toBe(2);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("autoCodec drops them with and without a content type", () => {
    for (const type of ["application/json", undefined]) {
      const value = autoCodec.decode(utf8(hostile), type, loc) as Record<string, unknown>;
      expect(Object.hasOwn(value, "__proto__")).toBe(false);
      expect(value["safe"]).toBe(1);
      const merged = Object.assign({}, value);
      expect((merged as Record<string, unknown>)["polluted"]).toBeUndefined();
    }
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, "polluted")).toBe(false);
  });

  it("drops them when the key is written with \\u escapes", () => {
    const keys = [
      "\\u005f_proto__",
      "\\u005F\\u005Fproto__",
      "__pr\\u006fto__",
      "\\u005f\\u005f\\u0070\\u0072\\u006F\\u0074\\u006f\\u005f\\u005f",
    ];
    for (const key of keys) {
      const text = `{"${key}":{"polluted":true},"safe":1,"nested":[{"${key}":{"polluted":true}}]}`;
      // The escapes really spell the key: plain JSON.parse keeps it as an own property.
      expect(Object.hasOwn(JSON.parse(text) as object, "__proto__")).toBe(true);
      for (const value of [
        parseJson(text, loc),
        autoCodec.decode(utf8(text), undefined, loc),
        jsonCodec.decode(utf8(text), undefined, loc),
      ] as Record<string, unknown>[]) {
        expect(Object.hasOwn(value, "__proto__")).toBe(false);
        expect(value["safe"]).toBe(1);
        const nested = (value["nested"] as Record<string, unknown>[])[0]!;
        expect(Object.hasOwn(nested, "__proto__")).toBe(false);
        expect((Object.assign({}, value) as Record<string, unknown>)["polluted"]).toBeUndefined();
      }
    }
  });

  it("parses text with other escapes as written", () => {
    expect(parseJson('{"a":"caf\\u00e9","__x__":"\\u005f"}', loc)).toEqual({ a: "café", __x__: "_" });
  });

  it("keeps a __proto__ string value that is not a key", () => {
    expect(parseJson('{"name":"__proto__"}', loc)).toEqual({ name: "__proto__" });
  });
});

describe("encodeValue", () => {
  it("encodes strings as text", () => {
    const out = encodeValue("héllo");
    expect(out.contentType).toBe("text/plain");
    expect(out.value?.toString("utf8")).toBe("héllo");
  });

  it("passes Buffers through and wraps Uint8Array views without copying the wrong range", () => {
    const buf = Buffer.from([1, 2, 3]);
    expect(encodeValue(buf)).toEqual({ value: buf, contentType: "application/octet-stream" });
    expect(encodeValue(buf).value).toBe(buf);
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    const view = backing.subarray(1, 4);
    const out = encodeValue(view);
    expect(Buffer.isBuffer(out.value)).toBe(true);
    expect([...(out.value as Buffer)]).toEqual([1, 2, 3]);
    expect(out.contentType).toBe("application/octet-stream");
  });

  it("encodes objects, numbers and booleans as JSON", () => {
    const out = encodeValue({ a: [1, "b"] });
    expect(out.contentType).toBe("application/json");
    expect(out.value?.toString("utf8")).toBe('{"a":[1,"b"]}');
    expect(encodeValue(0).value?.toString()).toBe("0");
    expect(encodeValue(false).value?.toString()).toBe("false");
  });

  it("encodes null as a tombstone", () => {
    expect(encodeValue(null)).toEqual({ value: null, contentType: undefined });
  });

  it("rejects undefined, BigInt and functions with EncodeError", () => {
    const undef = catchError(() => encodeValue(undefined));
    expect(undef).toBeInstanceOf(EncodeError);
    expect((undef as EncodeError).code).toBe("ENCODE");
    expect((undef as Error).message).toContain("tombstone");
    const big = catchError(() => encodeValue(10n));
    expect(big).toBeInstanceOf(EncodeError);
    expect((big as Error).message).toContain("not JSON-serialisable");
    expect((big as Error).cause).toBeInstanceOf(TypeError);
    expect(() => encodeValue(() => 1)).toThrow(EncodeError);
    expect(isFastStreamError(big)).toBe(true);
  });
});

describe("jsonCodec", () => {
  it("decodes JSON regardless of content type", () => {
    expect(jsonCodec.decode(utf8('{"a":1}'), "text/plain", loc)).toEqual({ a: 1 });
  });

  it("rejects null bodies, invalid JSON and invalid UTF-8", () => {
    expect(() => jsonCodec.decode(null, undefined, loc)).toThrow(/tombstone/);
    expect(() => jsonCodec.decode(null, undefined, loc)).toThrow(DecodeError);
    expect(() => jsonCodec.decode(utf8("hello"), undefined, loc)).toThrow(DecodeError);
    expect(() => jsonCodec.decode(invalidUtf8, undefined, loc)).toThrow(DecodeError);
  });

  it("encodes strings and bytes as JSON values", () => {
    expect(jsonCodec.encode("hi")).toEqual({ value: utf8('"hi"'), contentType: "application/json" });
    expect(jsonCodec.encode(Buffer.from([1, 2]))).toEqual({ value: utf8("[1,2]"), contentType: "application/json" });
    expect(jsonCodec.encode({ a: 1 })).toEqual({ value: utf8('{"a":1}'), contentType: "application/json" });
    expect(jsonCodec.encode(null)).toEqual({ value: null, contentType: undefined });
  });
});

describe("stringCodec", () => {
  it("decodes UTF-8 text and rejects null or invalid bodies", () => {
    expect(stringCodec.decode(utf8('{"a":1}'), "application/json", loc)).toBe('{"a":1}');
    expect(() => stringCodec.decode(null, undefined, loc)).toThrow(DecodeError);
    expect(() => stringCodec.decode(invalidUtf8, undefined, loc)).toThrow(/UTF-8/);
  });

  it("encodes strings, stringifies other values and keeps null as a tombstone", () => {
    expect(stringCodec.encode("x")).toEqual({ value: utf8("x"), contentType: "text/plain" });
    expect(stringCodec.encode(12).value?.toString()).toBe("12");
    expect(stringCodec.encode(null)).toEqual({ value: null, contentType: undefined });
  });
});

describe("bytesCodec", () => {
  it("decodes to the same buffer and null to null", () => {
    const body = Buffer.from([0xff, 0]);
    expect(bytesCodec.decode(body, "application/json", loc)).toBe(body);
    expect(bytesCodec.decode(null, undefined, loc)).toBeNull();
  });

  it("encodes bytes and null, rejects anything else", () => {
    expect(bytesCodec.encode(new Uint8Array([5]))).toEqual({
      value: Buffer.from([5]),
      contentType: "application/octet-stream",
    });
    expect(bytesCodec.encode(null)).toEqual({ value: null, contentType: undefined });
    expect(() => bytesCodec.encode("text")).toThrow(EncodeError);
    expect(() => bytesCodec.encode({})).toThrow(/Uint8Array or null, got object/);
  });
});

describe("resolveCodec", () => {
  it("resolves names and defaults to auto", () => {
    expect(resolveCodec(undefined)).toBe(autoCodec);
    expect(resolveCodec("auto")).toBe(autoCodec);
    expect(resolveCodec("json")).toBe(jsonCodec);
    expect(resolveCodec("string")).toBe(stringCodec);
    expect(resolveCodec("bytes")).toBe(bytesCodec);
  });

  it("returns a custom codec object as is", () => {
    const custom: Codec<number> = {
      name: "num",
      decode: () => 1,
      encode: () => ({ value: null, contentType: undefined }),
    };
    expect(resolveCodec(custom)).toBe(custom);
  });

  it("rejects an unknown name with a SetupError naming the option", () => {
    const err = catchError(() => resolveCodec("yaml" as "json"));
    expect(err).toBeInstanceOf(SetupError);
    expect((err as SetupError).option).toBe("codec");
    expect((err as Error).message).toContain('unknown codec "yaml"');
    expect((err as Error).message).toContain("auto, json, string, bytes");
    const custom = catchError(() => resolveCodec("nope" as "json", "replyCodec"));
    expect((custom as SetupError).option).toBe("replyCodec");
  });

  it("does not resolve inherited property names", () => {
    expect(() => resolveCodec("toString" as "json")).toThrow(SetupError);
  });

  it("rejects an object without decode/encode functions", () => {
    const err = catchError(() => resolveCodec({ name: "broken", decode: () => 1 } as unknown as Codec<unknown>));
    expect(err).toBeInstanceOf(SetupError);
    expect((err as SetupError).option).toBe("codec");
  });
});

describe("decodeHeaderValue", () => {
  it("returns strings as is and UTF-8 buffers as strings", () => {
    expect(decodeHeaderValue("abc")).toBe("abc");
    expect(decodeHeaderValue(utf8("zé"))).toBe("zé");
  });

  it("keeps binary values as the same Buffer", () => {
    expect(decodeHeaderValue(invalidUtf8)).toBe(invalidUtf8);
  });
});
