import { isUtf8 } from "node:buffer";
import { DecodeError, FastStreamError, type MessageLocation, SetupError } from "./errors.js";

/** Content types the built-in codecs write and recognise. */
export const ContentType = {
  json: "application/json",
  text: "text/plain",
  bytes: "application/octet-stream",
} as const;

/** The encoded form of a body, ready for the wire. */
export interface EncodedBody {
  /** `null` is a Kafka tombstone. */
  readonly value: Buffer | null;
  readonly contentType: string | undefined;
}

/**
 * Turns wire bytes into a handler body and handler results into wire bytes.
 * `T` is what `decode` produces.
 */
export interface Codec<T = unknown> {
  /** Name shown in errors and docs. */
  readonly name: string;
  /** Decodes a body. Throw {@link DecodeError} (use `location`) for bad input. */
  decode(body: Buffer | null, contentType: string | undefined, location: MessageLocation): T;
  /** Encodes a value to publish. */
  encode(value: unknown): EncodedBody;
}

/** Error raised when a value cannot be encoded for publishing. */
export class EncodeError extends FastStreamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ENCODE", message, options);
  }
}

/** Cheap first test: a `__proto__` key is written plainly or with `\u` escapes. */
const PROTO_HINT = /__proto__|\\u/;
/** A JSON string that decodes to `__proto__`, with any of its characters `\u`-escaped. */
const PROTO_STRING =
  /"(?:_|\\u005[fF]){2}(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[fF])(?:t|\\u0074)(?:o|\\u006[fF])(?:_|\\u005[fF]){2}"/;

function stripProto(key: string, value: unknown): unknown {
  return key === "__proto__" ? undefined : value;
}

/**
 * `JSON.parse`, dropping keys named `__proto__` (however they are escaped) so a decoded body
 * can never carry a prototype-polluting key into user code that merges objects. Text that
 * cannot hold such a key (nearly all of it) skips the slower reviver.
 */
function parseSafe(text: string): unknown {
  return PROTO_HINT.test(text) && PROTO_STRING.test(text) ? JSON.parse(text, stripProto) : JSON.parse(text);
}

/** What invalid UTF-8 decodes to (and a valid character, too). */
const REPLACEMENT = "\uFFFD";

/**
 * The bytes as text when they are valid UTF-8, else `undefined`. Decoding first and checking
 * only text that holds a replacement character costs one pass over valid input instead of two.
 */
function utf8Text(bytes: Buffer): string | undefined {
  const text = bytes.toString("utf8");
  return text.includes(REPLACEMENT) && !isUtf8(bytes) ? undefined : text;
}

/** Strict UTF-8 decode: invalid sequences are an error, never replacement characters. */
export function decodeUtf8(body: Buffer, location: MessageLocation): string {
  const text = utf8Text(body);
  if (text === undefined) throw new DecodeError(location, "body is not valid UTF-8");
  return text;
}

/**
 * Parses JSON from untrusted input. Keys named `__proto__` (escaped or not) are dropped so a
 * decoded body can never carry a prototype-polluting key into user code that merges objects.
 */
export function parseJson(text: string, location: MessageLocation): unknown {
  try {
    return parseSafe(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new DecodeError(location, `body is not valid JSON: ${reason}`, { cause });
  }
}

/** Encodes any value the way the `auto` codec does. */
export function encodeValue(value: unknown): EncodedBody {
  if (value === null) return { value: null, contentType: undefined };
  if (value === undefined) throw new EncodeError("cannot publish undefined (use null for a tombstone)");
  if (typeof value === "string") return { value: Buffer.from(value, "utf8"), contentType: ContentType.text };
  if (value instanceof Uint8Array) {
    const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return { value: buf, contentType: ContentType.bytes };
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new EncodeError(`value is not JSON-serialisable: ${(cause as Error).message}`, { cause });
  }
  if (text === undefined) throw new EncodeError(`value of type ${typeof value} is not JSON-serialisable`);
  return { value: Buffer.from(text, "utf8"), contentType: ContentType.json };
}

function baseType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const semi = contentType.indexOf(";");
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/**
 * The default codec. Decodes by content type: JSON types parse (invalid JSON is a
 * {@link DecodeError}), `text/*` gives a string, other types give bytes. Without a content type
 * (e.g. a message from a plain Kafka client) it tries JSON, then UTF-8 text, then bytes.
 * Encodes strings as text, bytes as-is and anything else as JSON.
 */
export const autoCodec: Codec<unknown> = {
  name: "auto",
  decode(body, contentType, location) {
    if (body === null) return null;
    const type = baseType(contentType);
    if (type === undefined) {
      const text = utf8Text(body);
      if (text === undefined) return body;
      try {
        return parseSafe(text);
      } catch {
        return text;
      }
    }
    if (type === ContentType.json || type.endsWith("+json")) return parseJson(decodeUtf8(body, location), location);
    if (type.startsWith("text/")) return decodeUtf8(body, location);
    return body;
  },
  encode: encodeValue,
};

/** Always JSON: invalid JSON or a null body is a {@link DecodeError}. */
export const jsonCodec: Codec<unknown> = {
  name: "json",
  decode(body, _contentType, location) {
    if (body === null) throw new DecodeError(location, "body is empty (tombstone), expected JSON");
    return parseJson(decodeUtf8(body, location), location);
  },
  encode(value) {
    const encoded = encodeValue(value);
    if (typeof value === "string" || value instanceof Uint8Array) {
      const text = JSON.stringify(typeof value === "string" ? value : Array.from(value));
      return { value: Buffer.from(text, "utf8"), contentType: ContentType.json };
    }
    return encoded;
  },
};

/** Always UTF-8 text: invalid UTF-8 or a null body is a {@link DecodeError}. */
export const stringCodec: Codec<string> = {
  name: "string",
  decode(body, _contentType, location) {
    if (body === null) throw new DecodeError(location, "body is empty (tombstone), expected text");
    return decodeUtf8(body, location);
  },
  encode(value) {
    if (value === null) return { value: null, contentType: undefined };
    return {
      value: Buffer.from(typeof value === "string" ? value : String(value), "utf8"),
      contentType: ContentType.text,
    };
  },
};

/** Raw bytes, untouched. A tombstone decodes to `null`. */
export const bytesCodec: Codec<Buffer | null> = {
  name: "bytes",
  decode(body) {
    return body;
  },
  encode(value) {
    if (value === null) return { value: null, contentType: undefined };
    if (value instanceof Uint8Array) return encodeValue(value);
    throw new EncodeError(`bytes codec can only publish Uint8Array or null, got ${typeof value}`);
  },
};

/** Names of the built-in codecs. */
export type CodecName = "auto" | "json" | "string" | "bytes";

/** Body type produced by a codec option. */
export type CodecOutput<C> = C extends "string"
  ? string
  : C extends "bytes"
    ? Buffer | null
    : C extends Codec<infer T>
      ? T
      : unknown;

const builtins: Record<CodecName, Codec<unknown>> = {
  auto: autoCodec,
  json: jsonCodec,
  string: stringCodec,
  bytes: bytesCodec,
};

/** Resolves a codec option (name or object) to a codec; `undefined` means `auto`. */
export function resolveCodec(option: CodecName | Codec<unknown> | undefined, optionName = "codec"): Codec<unknown> {
  if (option === undefined) return autoCodec;
  if (typeof option === "string") {
    const codec = Object.hasOwn(builtins, option) ? builtins[option] : undefined;
    if (!codec) {
      throw new SetupError(
        optionName,
        `unknown codec "${option}", expected one of ${Object.keys(builtins).join(", ")}`,
      );
    }
    return codec;
  }
  if (typeof option.decode !== "function" || typeof option.encode !== "function") {
    throw new SetupError(optionName, "a codec must have decode() and encode() functions");
  }
  return option;
}

/**
 * Decodes a header value: valid UTF-8 becomes a string, anything else stays bytes so binary
 * headers round-trip and never break decoding.
 */
export function decodeHeaderValue(value: Buffer | string): string | Buffer {
  if (typeof value === "string") return value;
  return utf8Text(value) ?? value;
}
