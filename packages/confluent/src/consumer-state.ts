/**
 * What the native consumer keeps per partition, and how a fetched record becomes the driver
 * contract's {@link RawRecord}.
 */
import { type RawHeaders, type RawRecord, setHeader, type TopicPartition } from "@faststream/kafka";
import type confluent from "@confluentinc/kafka-javascript";
import type { Message } from "@confluentinc/kafka-javascript";

/** Methods of the native consumer its typings leave out. */
interface Untyped {
  rebalanceProtocol(): "NONE" | "EAGER" | "COOPERATIVE";
  incrementalAssign(partitions: TopicPartition[]): void;
  incrementalUnassign(partitions: TopicPartition[]): void;
  assignmentLost(): boolean;
  /** consume(n) waits only for the first record, then takes what is already fetched. */
  setDefaultIsTimeoutOnlyForFirstMessage(value: boolean): void;
}
export type NativeConsumer = InstanceType<typeof confluent.KafkaConsumer> & Untyped;

/** What this member knows about one partition it holds. */
export interface Held {
  readonly tp: TopicPartition;
  /** Bumped by seek and pause: batches started before are stale. */
  generation: number;
  /** Taken away by a rebalance (a later assignment gets a new state). */
  revoked: boolean;
  /** Paused by the shared layer. */
  paused: boolean;
  /** Paused here because too many batches of it wait (bounds what is fetched). */
  throttled: boolean;
  /** Resumed by the shared layer while batches from before the pause drain; flows once they did. */
  resuming: boolean;
  /** Where fetching must start again once the partition flows (records a pause left unprocessed). */
  rewindTo: number | undefined;
  /** Seeks so far: a batch fetched before one leaves the position to it. */
  seeks: number;
  /**
   * Moved (sought or paused) while a poll was in flight: that poll's records of the partition
   * may come from before the move and are not handed over.
   */
  moved: boolean;
  /** The latest seek's offset while `moved`, applied again after such a poll. */
  seekTarget: number | undefined;
  /** Batches handed over or waiting, in order; the next waits for the previous. */
  tail: Promise<void>;
  /** How many of those there are. */
  queued: number;
}

/** One partition's records of a poll, and the partition's generation when they were fetched. */
export interface Slice {
  readonly held: Held;
  readonly records: RawRecord[];
  readonly generation: number;
  readonly seeks: number;
}

/** Adds one header value, turning a repeated name into a list. */
function addHeader(out: Record<string, Buffer | string | (Buffer | string)[]>, k: string, v: Buffer | string): void {
  // Own properties only: `out[k]` of a header named `__proto__` would read the prototype.
  const prev = Object.hasOwn(out, k) ? out[k] : undefined;
  if (prev === undefined) setHeader(out, k, v);
  else if (Array.isArray(prev)) prev.push(v);
  else setHeader(out, k, [prev, v]);
}

/**
 * Native headers (one single-key object per header) in the contract's shape. The binding sets
 * each header on a fresh object by assignment, so one named `__proto__` arrives as that
 * object's prototype (its Buffer value) instead of as a key: it is read back from there, and
 * only own keys are read (a Buffer prototype's getters would throw).
 */
function toHeaders(list: readonly Record<string, Buffer | string>[]): RawHeaders {
  const out: Record<string, Buffer | string | (Buffer | string)[]> = {};
  for (const h of list) {
    const proto: unknown = Object.getPrototypeOf(h);
    if (proto === Object.prototype) {
      for (const k in h) addHeader(out, k, h[k]!);
      continue;
    }
    if (Buffer.isBuffer(proto) || typeof proto === "string") addHeader(out, "__proto__", proto);
    for (const k of Object.keys(h)) addHeader(out, k, h[k]!);
  }
  return out;
}

/** A fetched record in the contract's shape. */
export function toRecord(m: Message): RawRecord {
  const key = m.key === undefined || m.key === null ? null : typeof m.key === "string" ? Buffer.from(m.key) : m.key;
  return {
    key,
    value: m.value ?? null,
    headers: m.headers ? toHeaders(m.headers) : undefined,
    offset: String(m.offset),
    timestamp: String(m.timestamp ?? -1),
  };
}

/** The state of a partition just assigned. */
export function newHeld(tp: TopicPartition): Held {
  return {
    tp,
    generation: 0,
    revoked: false,
    paused: false,
    throttled: false,
    resuming: false,
    rewindTo: undefined,
    seeks: 0,
    moved: false,
    seekTarget: undefined,
    tail: Promise.resolve(),
    queued: 0,
  };
}
