import { decodeHeaderValue } from "@faststream/core";
import type { RawHeaders } from "./driver.js";

/** Header names FastStream writes; the same names as Python FastStream, so services interoperate. */
export const HeaderName = {
  contentType: "content-type",
  correlationId: "correlation_id",
  replyTo: "reply_to",
} as const;

/** Decoded headers: UTF-8 values as strings, anything else as bytes. Repeated keys: last wins. */
export type KafkaHeaders = Readonly<Record<string, string | Buffer>>;

/** Values users may set on outgoing headers. */
export type HeadersInit = Readonly<Record<string, string | Buffer | Uint8Array | undefined>>;

/**
 * Sets header `key` on `target` as an own property. A plain assignment of a header named
 * `__proto__` would instead replace the object's prototype (a binary value) or vanish (a text
 * value); headers come from the wire, so that name is stored like any other. @internal
 */
export function setHeader<V>(target: Record<string, V>, key: string, value: V): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Decodes raw client headers; never throws on binary values. */
export function decodeHeaders(raw: RawHeaders | undefined): KafkaHeaders {
  const out: Record<string, string | Buffer> = {};
  if (!raw) return out;
  for (const key of Object.keys(raw)) {
    const v = raw[key];
    if (v === undefined) continue;
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last === undefined) continue;
    setHeader(out, key, decodeHeaderValue(last));
  }
  return out;
}

/** Reads one header as text (binary values are not text: `undefined`). */
export function headerText(raw: RawHeaders | undefined, name: string): string | undefined {
  const v = raw?.[name];
  if (v === undefined) return undefined;
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  if (last === undefined) return undefined;
  const decoded = decodeHeaderValue(last);
  return typeof decoded === "string" ? decoded : undefined;
}

/** Normalises user headers to what drivers send (drops `undefined`, bytes become Buffers). */
export function encodeHeaders(
  init: HeadersInit | undefined,
  into: Record<string, Buffer | string> = {},
): Record<string, Buffer | string> {
  if (!init) return into;
  for (const key of Object.keys(init)) {
    const v = init[key];
    if (v === undefined) continue;
    setHeader(
      into,
      key,
      typeof v === "string" || Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength),
    );
  }
  return into;
}
