import type { KafkaPublishOptions } from "./options.js";

const RESPONSE = Symbol.for("faststream.kafka.response");

/**
 * A handler result with publish options: return it to set the key, headers, partition,
 * timestamp or correlation id of what is published.
 *
 * @example
 * .handle((order) => new KafkaResponse({ ok: true }, { key: order.id, headers: { v: "2" } }))
 */
export class KafkaResponse<T = unknown> {
  readonly [RESPONSE] = true;
  constructor(
    /** The body to publish. */
    readonly body: T,
    /** Options of the publish (key, partition, headers, correlationId, timestamp). */
    readonly options: Omit<KafkaPublishOptions, "codec" | "replyTo"> = {},
  ) {}
}

/** True for a {@link KafkaResponse}, even from another copy of the package. */
export function isKafkaResponse(value: unknown): value is KafkaResponse {
  if (typeof value !== "object" || value === null) return false;
  if (value instanceof KafkaResponse) return true;
  // Plain data (what handlers mostly return) is answered without a symbol lookup, which is slow
  // on objects of many shapes; only another class's instance may be another copy's response.
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === Array.prototype || proto === null) return false;
  return (value as Record<symbol, unknown>)[RESPONSE] === true;
}
