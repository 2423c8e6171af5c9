/**
 * Baseline "raw-confluent-kafkajs": the five scenarios on `@confluentinc/kafka-javascript` 1.10.1
 * through its KafkaJS-style (promisified) API, `KafkaJS.Kafka`, the way an expert would for
 * throughput, with the framework's delivery semantics: auto-commit off, offsets committed only
 * after processing (pipeline: after the broker acknowledged the batch's outputs), one batch per
 * partition at a time (order kept), acks=all, producer not idempotent (librdkafka default).
 *
 * Settings (they go next to the numbers in BENCHMARKS.md):
 * - Client: `kafkaJS: { brokers, logLevel: WARN, logger }` with a logger writing to stderr (the
 *   default logger prints info to stdout).
 * - Producers: `kafkaJS: { acks: -1 }`; librdkafka defaults otherwise (enable.idempotence false,
 *   linger.ms 5, batch.num.messages 10000, max.in.flight 1M; the layer sets the murmur2_random
 *   partitioner and polls delivery reports in the background). `send` resolves when every record of
 *   it is delivered.
 * - Consumers: `kafkaJS: { groupId, fromBeginning: true, autoCommit: false }` (fromBeginning goes in
 *   the consumer config, not in subscribe; autoCommit not in run()); the layer's fetch defaults
 *   (maxBytesPerPartition 1 MiB, maxBytes 10 MiB, librdkafka prefetch defaults). Commits:
 *   `commitOffsets` of the last processed offset + 1 per partition, coalesced (one call
 *   outstanding; it resolves once librdkafka queued the commit).
 * - pipeline: eachBatch, "js.consumer.max.batch.size" 10000 (default 32: ~11k msg/s here; -1, no
 *   limit, fills the first batch with the whole backlog before the handler first runs),
 *   partitionsConsumedConcurrently 3 (one per input partition). Per batch: JSON.parse + hand-written
 *   check, one `send` of all outputs, awaited, then the batch's offset is committed.
 * - consume: same consumer settings, eachBatch counting each record, commit per batch.
 * - publish: `send` of 1,000 records, 8 sends in flight (closed loop; 10,000×4 or one send of all
 *   measured the same).
 * - request: body `{"n":i}`, reply `{"n":i+1}` (as the framework variant). One producer, linger.ms
 *   0, for requests and replies. Both consumers use maxWaitTimeInMs 10 (fetch.wait.max.ms): the
 *   local cluster (librdkafka's mock) answers a Fetch that finds no data only after the full max
 *   wait, even if records arrive meanwhile, so the round trip is bound by this setting (here about
 *   two waits per round trip: 100 gives p50 ≈ 200 ms). Responder: eachBatch, 3 partitions at once,
 *   the replies of a batch in one `sendBatch`, then commit. Requester: one `send` per request, replies
 *   read by its own group from `${inTopic}.replies.<random>`, created by a first send to it (a record
 *   without correlation id, ignored) before the subscription. Readiness: probe requests until one is
 *   answered, then 200 warm-up requests, then the timed ones.
 * - rss: library defaults (32 records per batch, partitionsConsumedConcurrently 1, librdkafka
 *   prefetch), eachBatch with eachBatchAutoResolve false: records handled one by one (await
 *   handlerDelayMs, then resolveOffset), commit per batch.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { KafkaJS } from "@confluentinc/kafka-javascript";
import { emit, markFirst, now, onTerminate, parseUser, readSettings, registered, sampleRss } from "../protocol.js";
import { Committer } from "../committer.js";
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

/** Most records per eachBatch call (pipeline, consume); the library's default is 32. */
const MAX_BATCH = 10_000;
/** Partitions processed at once (pipeline, consume): one per input partition. */
const PARTITIONS_CONCURRENTLY = 3;
/** Records per send (publish). */
const PUBLISH_CHUNK = 1_000;
/** Sends in flight (publish). */
const PUBLISH_WINDOW = 8;

let stopping = false;

function fail(err: unknown): void {
  if (stopping) return;
  stopping = true;
  emit({ event: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
}

/** The library's default logger writes info to stdout; this one writes warnings and errors to stderr. */
const stderrLogger = (): KafkaJS.Logger => {
  const write =
    (level: string) =>
    (message: string, extra?: object): void => {
      process.stderr.write(`[confluent ${level}] ${message}${extra ? ` ${JSON.stringify(extra)}` : ""}\n`);
    };
  const logger: KafkaJS.Logger = {
    info: () => undefined,
    debug: () => undefined,
    warn: write("warn"),
    error: write("error"),
    namespace: () => logger,
    setLogLevel: () => undefined,
  };
  return logger;
};

const kafka = new KafkaJS.Kafka({
  kafkaJS: {
    clientId: "raw-confluent-kafkajs",
    brokers: settings.brokers,
    logLevel: KafkaJS.logLevel.WARN,
    logger: stderrLogger(),
  },
});

/**
 * A handler failure is fatal for a benchmark run (the library would log it and hand the batch
 * over again).
 */
function fatal<A extends unknown[]>(handler: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await handler(...args);
    } catch (err) {
      fail(err);
      throw err;
    }
  };
}

/** Stops consuming, commits what was processed, and disconnects. */
function closeAll(
  consumers: KafkaJS.Consumer[],
  committers: Committer[],
  producers: KafkaJS.Producer[],
): () => Promise<void> {
  return async () => {
    stopping = true;
    await Promise.allSettled(consumers.map((c) => c.stop()));
    await Promise.allSettled(committers.map((c) => c.flush()));
    await Promise.allSettled([...consumers, ...producers].map((c) => c.disconnect()));
  };
}

const newConsumer = (groupId: string, extra: Partial<KafkaJS.ConsumerConfig> = {}): KafkaJS.Consumer =>
  kafka.consumer({
    kafkaJS: { groupId, fromBeginning: true, autoCommit: false, ...extra },
    "js.consumer.max.batch.size": MAX_BATCH,
  });

async function pipeline(): Promise<void> {
  const producer = kafka.producer({ kafkaJS: { acks: -1 } });
  const consumer = newConsumer(settings.groupId);
  const committer = new Committer(consumer, fail);
  onTerminate(closeAll([consumer], [committer], [producer]));
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topics: [settings.inTopic] });
  let invalid = 0;
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
    eachBatch: fatal(async ({ batch }) => {
      markFirst();
      const out: KafkaJS.Message[] = [];
      for (const m of batch.messages) {
        const u = parseUser(m.value);
        if (u === undefined) invalid++;
        else out.push({ value: registered(u) });
      }
      if (out.length > 0) await producer.send({ topic: settings.outTopic, messages: out });
      committer.mark(batch.topic, batch.partition, batch.lastOffset());
    }),
  });
  emit({ event: "ready", t: now() });
  if (invalid > 0) process.stderr.write(`skipped ${invalid} invalid records\n`);
}

async function consume(): Promise<void> {
  const consumer = newConsumer(settings.groupId);
  const committer = new Committer(consumer, fail);
  onTerminate(closeAll([consumer], [committer], []));
  await consumer.connect();
  await consumer.subscribe({ topics: [settings.inTopic] });
  let count = 0;
  const handle = (_m: KafkaJS.KafkaMessage): void => {
    if (++count === settings.count) emit({ event: "done", t: now(), count });
  };
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
    eachBatch: fatal(async ({ batch }) => {
      markFirst();
      for (const m of batch.messages) handle(m);
      committer.mark(batch.topic, batch.partition, batch.lastOffset());
    }),
  });
  emit({ event: "ready", t: now() });
}

async function publish(): Promise<void> {
  const producer = kafka.producer({ kafkaJS: { acks: -1 } });
  onTerminate(closeAll([], [], [producer]));
  await producer.connect();
  emit({ event: "ready", t: now() });
  const value = Buffer.alloc(settings.payloadBytes, "x");
  let next = 0;
  const sender = async (): Promise<void> => {
    while (next < settings.count) {
      const n = Math.min(PUBLISH_CHUNK, settings.count - next);
      next += n;
      const messages: KafkaJS.Message[] = new Array(n);
      for (let i = 0; i < n; i++) messages[i] = { value };
      await producer.send({ topic: settings.inTopic, messages });
    }
  };
  const start = now();
  await Promise.all(Array.from({ length: PUBLISH_WINDOW }, sender));
  emit({ event: "done", start, t: now(), count: settings.count });
}

function header(m: KafkaJS.KafkaMessage, name: string): string | undefined {
  const h = m.headers?.[name];
  const v = Array.isArray(h) ? h[0] : h;
  return v?.toString();
}

async function request(): Promise<void> {
  const suffix = Math.random().toString(36).slice(2, 10);
  const replyTopic = `${settings.inTopic}.replies.${suffix}`;
  const latency = { maxWaitTimeInMs: REQUEST_FETCH_WAIT_MS };
  const producer = kafka.producer({ kafkaJS: { acks: -1 }, "linger.ms": 0 });
  const responder = newConsumer(settings.groupId, latency);
  const replies = newConsumer(`${settings.groupId}.replies.${suffix}`, latency);
  const committer = new Committer(responder, fail);
  onTerminate(closeAll([responder, replies], [committer], [producer]));
  await Promise.all([producer.connect(), responder.connect(), replies.connect()]);
  // The reply topic is created on first use: a send auto-creates it. It must exist before the
  // subscription, which would otherwise notice it only at its next metadata refresh (5 minutes).
  await producer.send({ topic: replyTopic, messages: [{ value: "created" }] });
  await responder.subscribe({ topics: [settings.inTopic] });
  await replies.subscribe({ topics: [replyTopic] });

  // Responder: answers every request of a batch in one sendBatch, then commits the batch.
  await responder.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: fatal(async ({ batch }) => {
      const byTopic = new Map<string, KafkaJS.Message[]>();
      for (const m of batch.messages) {
        const replyTo = header(m, "reply-to");
        const correlationId = header(m, "correlation-id");
        if (replyTo === undefined || correlationId === undefined) continue;
        const reply: KafkaJS.Message = { value: answer(m.value), headers: { "correlation-id": correlationId } };
        const list = byTopic.get(replyTo);
        if (list) list.push(reply);
        else byTopic.set(replyTo, [reply]);
      }
      if (byTopic.size > 0) {
        await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      }
      committer.mark(batch.topic, batch.partition, batch.lastOffset());
    }),
  });

  // Requester: each request waits for the reply carrying its correlation id.
  const pending = new PendingReplies((n, id) =>
    producer.send({
      topic: settings.inTopic,
      messages: [{ value: JSON.stringify({ n }), headers: { "reply-to": replyTopic, "correlation-id": id } }],
    }),
  );
  await replies.run({
    eachBatch: fatal(async ({ batch }) => {
      for (const m of batch.messages) pending.answered(header(m, "correlation-id"));
    }),
  });

  await probeUntilAnswered((timeoutMs) => pending.call(timeoutMs));
  await timeRequests(settings.count, settings.concurrency, () => pending.call(REQUEST_TIMEOUT_MS));
}

async function rss(): Promise<void> {
  // Library defaults for buffering: 32 records per batch, librdkafka's prefetch settings.
  const consumer = kafka.consumer({ kafkaJS: { groupId: settings.groupId, fromBeginning: true, autoCommit: false } });
  const committer = new Committer(consumer, fail);
  onTerminate(closeAll([consumer], [committer], []));
  await consumer.connect();
  await consumer.subscribe({ topics: [settings.inTopic] });
  await consumer.run({
    // Records are resolved one by one: a batch left early is handed over again from the first
    // unprocessed record.
    eachBatchAutoResolve: false,
    eachBatch: fatal(async ({ batch, resolveOffset, isRunning, isStale }) => {
      if (markFirst()) {
        setTimeout(() => emit({ event: "rss", ...stopRss!() }), settings.durationMs);
      }
      let last: string | undefined;
      for (const m of batch.messages) {
        if (!isRunning() || isStale()) break;
        await sleep(settings.handlerDelayMs);
        resolveOffset(m.offset);
        last = m.offset;
      }
      if (last !== undefined) committer.mark(batch.topic, batch.partition, last);
    }),
  });
  emit({ event: "ready", t: now() });
}

const scenarios = { pipeline, consume, publish, request, rss } as const;
const run = scenarios[settings.scenario];
if (run === undefined) fail(new Error(`unknown scenario ${settings.scenario}`));
else run().catch(fail);
