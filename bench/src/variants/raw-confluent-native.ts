/**
 * Baseline "raw-confluent-native": the five scenarios on `@confluentinc/kafka-javascript` 1.10.1
 * through its native (node-rdkafka style) API, `KafkaConsumer` + `Producer`, the way an expert would
 * for throughput, with the framework's delivery semantics: auto-commit off, offsets committed only
 * after processing (pipeline: after the delivery reports of the batch's outputs), records handled
 * in consume order (order per partition kept), acks=all, producer not idempotent (librdkafka default).
 *
 * Settings (they go next to the numbers in BENCHMARKS.md):
 * - BENCH_RAW_HEADERS=1 (variant raw-confluent-native-headers, pipeline and publish): every
 *   record also carries the headers FastStream writes (`content-type`, a fresh `correlation_id`),
 *   to tell the client's cost of headers from the framework's own.
 * - BENCH_RAW_AWAITED=1 (variant raw-confluent-native-awaited, publish only): the records are
 *   published the way `broker.publish` is used in the framework's publish scenario: PUBLISH_WINDOW
 *   (8,000) async loops, each awaiting a promise per record, resolved with `{ topic, partition,
 *   offset }` by the record's delivery report (its opaque is the promise's resolve). No headers.
 *   It tells what that API shape costs on this client from what the framework adds to it.
 * - Consumers: enable.auto.commit false, enable.auto.offset.store false, auto.offset.reset earliest;
 *   librdkafka's fetch and prefetch defaults (fetch.wait.max.ms 500, fetch.max.bytes 50 MiB,
 *   max.partition.fetch.bytes 1 MiB, queued.min.messages 100k, queued.max.messages.kbytes 64 MiB).
 *   `consume(n)` loops with the timeout (1000 ms) applying to the first record only, the rest being
 *   what is already fetched (setDefaultIsTimeoutOnlyForFirstMessage(true), as the library's KafkaJS
 *   layer does). Commits: `commit()` (librdkafka commitAsync) of the last processed offset + 1 per
 *   partition, the marks of one event-loop turn in one commit.
 * - Producers: `Producer` with dr_cb and delivery reports polled by librdkafka's background thread
 *   (setPollInBackground(true), no JS poll timer; setPollInterval(5/20/50) measured the same);
 *   librdkafka defaults otherwise: acks -1, enable.idempotence false, linger.ms 5, batch.num.messages
 *   10000, batch.size 1 MB, queue.buffering.max.messages 100k, max.in.flight 1M, keyless records by
 *   the sticky consistent_random partitioner.
 * - pipeline: consume(1000) loop (10000 measured the same); per batch: JSON.parse + hand-written
 *   check, `produce()` of each output with the batch as opaque; a batch's input offsets are
 *   committed once its outputs and those of every earlier batch are delivered. Consuming goes on
 *   while outputs are in flight, up to 50k unacknowledged (then it waits for 25k).
 * - consume: consume(1000) loop, count per record, commit per batch.
 * - publish: `produce()` of every record in one loop (1 ms pause on QUEUE_FULL), done at the last
 *   delivery report.
 * - request: body `{"n":i}`, reply `{"n":i+1}` (as the framework variant). One producer, linger.ms
 *   0, for requests and replies. Responder and requester consume in flowing mode (`consume()`: a
 *   fetch-loop thread, one `data` event per record, loop delay 0), both with fetch.wait.max.ms 10:
 *   the local cluster (librdkafka's mock) answers a Fetch that finds no data only after the full max
 *   wait, even if records arrive meanwhile, so the round trip is bound by this setting (100 gives
 *   p50 ≈ 100 ms, the default 500 gives ≈ 500 ms). The responder produces each reply at once and
 *   commits a request once its reply is delivered. The reply topic `${inTopic}.replies.<random>` is
 *   created by a producer Metadata request before its group subscribes (from the beginning).
 *   Readiness: probe requests until one is answered, then 200 warm-up requests, then the timed ones.
 * - rss: librdkafka defaults as above, consume(100) loop, records handled one by one (await
 *   handlerDelayMs), commit per batch.
 */
import confluent, {
  type ConsumerGlobalConfig,
  type ConsumerTopicConfig,
  type KafkaConsumer,
  type LibrdKafkaError,
  type Message,
  type Metadata,
  type Producer,
  type ProducerGlobalConfig,
} from "@confluentinc/kafka-javascript";
import { setTimeout as sleep } from "node:timers/promises";
import {
  emit,
  frameworkHeaders,
  markFirst,
  parseUser,
  now,
  PUBLISH_WINDOW,
  onTerminate,
  readSettings,
  registered,
  sampleRss,
} from "../protocol.js";
import {
  answer,
  PendingReplies,
  probeUntilAnswered,
  REQUEST_FETCH_WAIT_MS,
  REQUEST_TIMEOUT_MS,
  timeRequests,
} from "../requests.js";

const settings = readSettings();
// Sampled from process start (before any client exists).
const stopRss = settings.scenario === "rss" ? sampleRss() : undefined;

/** Most records per consume(n) call (pipeline, consume). */
const CONSUME_BATCH = 1_000;
/** Most records per consume(n) call with the slow handler (rss). */
const RSS_CONSUME_BATCH = 100;
/** Produced but not yet acknowledged outputs before the pipeline stops consuming for a while. */
const MAX_UNACKED = 50_000;
const QUEUE_FULL = confluent.CODES.ERRORS.ERR__QUEUE_FULL;

const bootstrap = settings.brokers.join(",");
let stopping = false;

function fail(err: unknown): void {
  if (stopping) return;
  stopping = true;
  const message =
    err instanceof Error ? (err.stack ?? err.message) : ((err as LibrdKafkaError | undefined)?.message ?? String(err));
  emit({ event: "error", message });
  process.exit(1);
}

function logError(what: string, err: LibrdKafkaError): void {
  process.stderr.write(`[${what}] ${err.message} (${err.code})\n`);
  if (err.isFatal) fail(err);
}

function newConsumer(group: string, extra: ConsumerGlobalConfig, topic: ConsumerTopicConfig): KafkaConsumer {
  const consumer = new confluent.KafkaConsumer(
    {
      "bootstrap.servers": bootstrap,
      "group.id": group,
      "enable.auto.commit": false,
      "enable.auto.offset.store": false,
      ...extra,
    },
    { "auto.offset.reset": "earliest", ...topic },
  );
  consumer.on("event.error", (err) => logError("consumer", err));
  return consumer;
}

function newProducer(extra: ProducerGlobalConfig = {}): Producer {
  const producer = new confluent.Producer({ "bootstrap.servers": bootstrap, dr_cb: true, ...extra });
  producer.on("event.error", (err) => logError("producer", err));
  return producer;
}

function connect(client: Producer | KafkaConsumer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    client.connect({}, (err) => (err ? reject(err) : resolve()));
  });
}

function disconnect(client: Producer | KafkaConsumer): Promise<void> {
  return new Promise<void>((resolve) => {
    client.disconnect(() => resolve());
  });
}

/** Makes consume(n) wait only for the first record, then take what is already fetched. */
function timeoutOnlyForFirstMessage(consumer: KafkaConsumer): void {
  // Public on the class (the library's KafkaJS layer uses it), missing from the typings.
  (
    consumer as unknown as { setDefaultIsTimeoutOnlyForFirstMessage(v: boolean): void }
  ).setDefaultIsTimeoutOnlyForFirstMessage(true);
}

function consumeBatch(consumer: KafkaConsumer, size: number): Promise<Message[]> {
  return new Promise<Message[]>((resolve, reject) => {
    consumer.consume(size, (err, messages) => (err ? reject(err) : resolve(messages)));
  });
}

/** Calls `handle` with each non-empty consume(n) batch until the process stops. */
async function consumeLoop(
  consumer: KafkaConsumer,
  size: number,
  handle: (messages: Message[]) => Promise<void> | void,
): Promise<void> {
  while (!stopping) {
    let messages: Message[];
    try {
      messages = await consumeBatch(consumer, size);
    } catch (err) {
      if (stopping) return;
      logError("consume", err as LibrdKafkaError);
      await sleep(100);
      continue;
    }
    if (messages.length > 0) await handle(messages);
  }
}

/**
 * Commits processed offsets of one topic: `mark` records the next offset of a partition; the
 * marks of one event-loop turn go out as one asynchronous commit (librdkafka commitAsync).
 */
class Committer {
  readonly #consumer: KafkaConsumer;
  readonly #topic: string;
  readonly #pending = new Map<number, number>();
  #scheduled = false;

  constructor(consumer: KafkaConsumer, topic: string) {
    this.#consumer = consumer;
    this.#topic = topic;
  }

  mark(partition: number, nextOffset: number): void {
    this.#pending.set(partition, nextOffset);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.flush(false));
  }

  flush(sync: boolean): void {
    this.#scheduled = false;
    if (this.#pending.size === 0) return;
    const offsets = [...this.#pending].map(([partition, offset]) => ({ topic: this.#topic, partition, offset }));
    this.#pending.clear();
    try {
      if (sync) this.#consumer.commitSync(offsets);
      else this.#consumer.commit(offsets);
    } catch (err) {
      fail(err);
    }
  }
}

/** The outputs of one consumed batch, and the input offsets they allow to commit. */
interface Batch {
  remaining: number;
  sealed: boolean;
  readonly offsets: Map<number, number>;
}

/**
 * Tracks produced outputs per consumed batch (the batch is the produce opaque) and marks a batch's
 * input offsets for commit once all its outputs and those of every earlier batch are acknowledged.
 */
class Outputs {
  readonly #committer: Committer;
  readonly #queue: Batch[] = [];
  unacked = 0;
  #waiter: { below: number; resolve: () => void } | undefined;

  constructor(committer: Committer) {
    this.#committer = committer;
  }

  open(): Batch {
    const batch: Batch = { remaining: 0, sealed: false, offsets: new Map() };
    this.#queue.push(batch);
    return batch;
  }

  /** Produces one output of `batch`; false when librdkafka's queue is full (nothing produced). */
  produce(
    producer: Producer,
    topic: string,
    value: Buffer,
    batch: Batch,
    headers?: { [key: string]: string | Buffer }[],
  ): boolean {
    try {
      producer.produce(topic, null, value, null, null, batch, headers);
    } catch (err) {
      if ((err as LibrdKafkaError).code === QUEUE_FULL) return false;
      throw err;
    }
    batch.remaining++;
    this.unacked++;
    return true;
  }

  seal(batch: Batch): void {
    batch.sealed = true;
    if (batch.remaining === 0) this.#settle();
  }

  delivered(batch: Batch): void {
    this.unacked--;
    if (--batch.remaining === 0 && batch.sealed) this.#settle();
    if (this.#waiter && this.unacked <= this.#waiter.below) {
      const { resolve } = this.#waiter;
      this.#waiter = undefined;
      resolve();
    }
  }

  /** Resolves once at most `n` outputs are unacknowledged. */
  below(n: number): Promise<void> {
    if (this.unacked <= n) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#waiter = { below: n, resolve };
    });
  }

  #settle(): void {
    let head = this.#queue[0];
    while (head?.sealed && head.remaining === 0) {
      for (const [partition, offset] of head.offsets) this.#committer.mark(partition, offset);
      this.#queue.shift();
      head = this.#queue[0];
    }
  }
}

/** Delivery reports: failures are fatal; reports carrying a batch go to `outputs`. */
function onDelivery(producer: Producer, outputs?: Outputs, other?: () => void): void {
  producer.on("delivery-report", (err, report) => {
    if (err) return fail(err);
    const batch = report.opaque as Batch | undefined;
    if (batch !== undefined) outputs?.delivered(batch);
    else other?.();
  });
}

/** {@link frameworkHeaders} in librdkafka's shape (one single-key object per header). */
function nativeHeaders(contentType: string): { [key: string]: string }[] | undefined {
  const h = frameworkHeaders(contentType);
  return h && Object.entries(h).map(([k, v]) => ({ [k]: v }));
}

async function pipeline(): Promise<void> {
  const producer = newProducer();
  const consumer = newConsumer(settings.groupId, {}, {});
  const committer = new Committer(consumer, settings.inTopic);
  const outputs = new Outputs(committer);
  onDelivery(producer, outputs);
  onTerminate(async () => {
    stopping = true;
    await disconnect(producer); // flushes: the last batches get acknowledged and marked
    committer.flush(true);
    await disconnect(consumer);
  });
  await Promise.all([connect(producer), connect(consumer)]);
  producer.setPollInBackground(true);
  timeoutOnlyForFirstMessage(consumer);
  consumer.subscribe([settings.inTopic]);
  emit({ event: "ready", t: now() });
  let invalid = 0;
  await consumeLoop(consumer, CONSUME_BATCH, async (messages) => {
    markFirst();
    const batch = outputs.open();
    for (const m of messages) {
      batch.offsets.set(m.partition, m.offset + 1);
      const u = parseUser(m.value);
      if (u === undefined) {
        invalid++;
        continue;
      }
      const value = Buffer.from(registered(u));
      const headers = nativeHeaders("application/json");
      while (!outputs.produce(producer, settings.outTopic, value, batch, headers))
        await outputs.below(outputs.unacked / 2);
    }
    outputs.seal(batch);
    if (outputs.unacked > MAX_UNACKED) await outputs.below(MAX_UNACKED / 2);
  });
  if (invalid > 0) process.stderr.write(`skipped ${invalid} invalid records\n`);
}

/**
 * The consume and rss scenarios' consumer: subscribed to the input topic, with its committer,
 * closed (final commit first) on SIGTERM; `ready` is emitted once it is subscribed.
 */
async function readyConsumer(): Promise<{ consumer: KafkaConsumer; committer: Committer }> {
  const consumer = newConsumer(settings.groupId, {}, {});
  const committer = new Committer(consumer, settings.inTopic);
  onTerminate(async () => {
    stopping = true;
    committer.flush(true);
    await disconnect(consumer);
  });
  await connect(consumer);
  timeoutOnlyForFirstMessage(consumer);
  consumer.subscribe([settings.inTopic]);
  emit({ event: "ready", t: now() });
  return { consumer, committer };
}

async function consume(): Promise<void> {
  const { consumer, committer } = await readyConsumer();
  let count = 0;
  const handle = (_m: Message): void => {
    if (++count === settings.count) emit({ event: "done", t: now(), count });
  };
  await consumeLoop(consumer, CONSUME_BATCH, (messages) => {
    markFirst();
    const last = new Map<number, number>();
    for (const m of messages) {
      handle(m);
      last.set(m.partition, m.offset + 1);
    }
    for (const [partition, offset] of last) committer.mark(partition, offset);
  });
}

async function publish(): Promise<void> {
  if (process.env["BENCH_RAW_AWAITED"] === "1") return publishAwaited();
  const producer = newProducer();
  let acked = 0;
  let allAcked: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    allAcked = resolve;
  });
  onDelivery(producer, undefined, () => {
    if (++acked === settings.count) allAcked();
  });
  const value = await startPublishing(producer);
  const start = now();
  for (let i = 0; i < settings.count; i++) {
    try {
      producer.produce(settings.inTopic, null, value, null, null, undefined, nativeHeaders("application/octet-stream"));
    } catch (err) {
      if ((err as LibrdKafkaError).code !== QUEUE_FULL) throw err;
      // librdkafka's queue is full: let delivery reports drain it, then retry this record.
      await sleep(1);
      i--;
    }
  }
  await done;
  emit({ event: "done", start, t: now(), count: settings.count });
}

/**
 * The publish scenario's start: stop on SIGTERM, connect, poll delivery reports in the
 * background, report ready. Returns the payload every record carries.
 */
async function startPublishing(producer: Producer): Promise<Buffer> {
  onTerminate(async () => {
    stopping = true;
    await disconnect(producer);
  });
  await connect(producer);
  producer.setPollInBackground(true);
  emit({ event: "ready", t: now() });
  return Buffer.alloc(settings.payloadBytes, "x");
}

/** Where a delivered record landed, as a per-record publish promise resolves with it. */
interface Landed {
  topic: string;
  partition: number;
  offset: string | undefined;
}

/** The publish scenario with a promise per record, PUBLISH_WINDOW of them awaited at once. */
async function publishAwaited(): Promise<void> {
  const producer = newProducer();
  producer.on("delivery-report", (err, report) => {
    if (err) return fail(err);
    const offset = report.offset;
    (report.opaque as (landed: Landed) => void)({
      topic: report.topic,
      partition: report.partition,
      offset: offset === undefined || offset === null ? undefined : String(offset),
    });
  });
  const value = await startPublishing(producer);
  const produce = async (): Promise<Landed> => {
    for (;;) {
      try {
        return await new Promise<Landed>((resolve) => {
          producer.produce(settings.inTopic, null, value, null, null, resolve);
        });
      } catch (err) {
        if ((err as LibrdKafkaError).code !== QUEUE_FULL) throw err;
        await sleep(1);
      }
    }
  };
  const start = now();
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < settings.count) {
      next++;
      await produce();
    }
  };
  await Promise.all(Array.from({ length: PUBLISH_WINDOW }, loop));
  emit({ event: "done", start, t: now(), count: settings.count });
}

function header(m: Message, name: string): string | undefined {
  for (const h of m.headers ?? []) {
    const v = h[name];
    if (v !== undefined) return v.toString();
  }
  return undefined;
}

/** Starts the consumer's own fetch-loop thread, each record delivered at once as a `data` event. */
function flow(consumer: KafkaConsumer, onMessage: (m: Message) => void): void {
  consumer.setDefaultConsumeTimeout(1_000);
  consumer.setDefaultConsumeLoopTimeoutDelay(0);
  consumer.on("data", onMessage);
  consumer.consume((err) => {
    if (err) logError("consume", err);
  });
}

/**
 * Creates a topic on first use: a producer's Metadata request for it auto-creates it (the local
 * cluster has no CreateTopics). A consumer subscribed to a missing topic would only see it at its
 * next metadata refresh (5 minutes), so the reply topic exists before the subscription.
 */
async function createByMetadata(producer: Producer, topic: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const metadata = await new Promise<Metadata>((resolve, reject) => {
      producer.getMetadata({ topic, timeout: 5_000 }, (err, data) => (err ? reject(err) : resolve(data)));
    });
    if ((metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0) > 0) return;
    if (attempt === 50) throw new Error(`topic ${topic} was not created`);
    await sleep(100);
  }
}

async function request(): Promise<void> {
  const suffix = Math.random().toString(36).slice(2, 10);
  const replyTopic = `${settings.inTopic}.replies.${suffix}`;
  const latency = { "fetch.wait.max.ms": REQUEST_FETCH_WAIT_MS };
  const producer = newProducer({ "linger.ms": 0 });
  const responder = newConsumer(settings.groupId, latency, {});
  const replies = newConsumer(`${settings.groupId}.replies.${suffix}`, latency, {});
  const committer = new Committer(responder, settings.inTopic);
  const outputs = new Outputs(committer);
  onDelivery(producer, outputs);
  onTerminate(async () => {
    stopping = true;
    await disconnect(producer);
    committer.flush(true);
    await Promise.all([disconnect(responder), disconnect(replies)]);
  });
  await Promise.all([connect(producer), connect(responder), connect(replies)]);
  producer.setPollInBackground(true);
  await createByMetadata(producer, replyTopic);
  responder.subscribe([settings.inTopic]);
  replies.subscribe([replyTopic]);

  // Responder: one reply per request as soon as it arrives; its offset is committed once the
  // reply is acknowledged.
  flow(responder, (m) => {
    const replyTo = header(m, "reply-to");
    const correlationId = header(m, "correlation-id");
    const batch = outputs.open();
    batch.offsets.set(m.partition, m.offset + 1);
    if (replyTo !== undefined && correlationId !== undefined) {
      const value = Buffer.from(answer(m.value));
      if (!outputs.produce(producer, replyTo, value, batch, [{ "correlation-id": correlationId }])) {
        fail(new Error("producer queue full"));
      }
    }
    outputs.seal(batch);
  });

  // Requester: each request waits for the reply carrying its correlation id.
  const pending = new PendingReplies((n, id) => {
    producer.produce(settings.inTopic, null, Buffer.from(JSON.stringify({ n })), null, null, undefined, [
      { "reply-to": replyTopic },
      { "correlation-id": id },
    ]);
    return undefined;
  });
  flow(replies, (m) => pending.answered(header(m, "correlation-id")));

  await probeUntilAnswered((timeoutMs) => pending.call(timeoutMs));
  await timeRequests(settings.count, settings.concurrency, () => pending.call(REQUEST_TIMEOUT_MS));
}

async function rss(): Promise<void> {
  const { consumer, committer } = await readyConsumer();
  await consumeLoop(consumer, RSS_CONSUME_BATCH, async (messages) => {
    if (markFirst()) {
      setTimeout(() => emit({ event: "rss", ...stopRss!() }), settings.durationMs);
    }
    const processed = new Map<number, number>();
    for (const m of messages) {
      if (stopping) break;
      await sleep(settings.handlerDelayMs);
      processed.set(m.partition, m.offset + 1);
    }
    for (const [partition, offset] of processed) committer.mark(partition, offset);
  });
}

const scenarios = { pipeline, consume, publish, request, rss } as const;
const run = scenarios[settings.scenario];
if (run === undefined) fail(new Error(`unknown scenario ${settings.scenario}`));
else run().catch(fail);
