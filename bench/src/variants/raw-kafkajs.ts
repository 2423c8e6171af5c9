/**
 * Baseline "raw-kafkajs": the five scenarios written directly on `kafkajs` 2.2.4, the way an expert
 * would for throughput, with the framework's delivery semantics: auto-commit off, offsets committed
 * only after processing (pipeline: after the broker acknowledged the batch's outputs), one batch per
 * partition at a time (order kept), acks=all (-1), producer not idempotent (the kafkajs default).
 *
 * Settings (they go next to the numbers in BENCHMARKS.md):
 * - BENCH_RAW_HEADERS=1 (variant raw-kafkajs-headers, pipeline and publish): every record also
 *   carries the headers FastStream writes (`content-type`, a fresh `correlation_id`), to tell the
 *   client's cost of headers from the framework's own.
 * - Client: logLevel WARN, written to stderr; producer defaults (kafkajs has no linger,
 *   maxInFlightRequests unlimited, idempotent false) with the default partitioner set explicitly
 *   (keyless records round-robin); every send with acks -1.
 * - Commits: `consumer.commitOffsets` of the last processed offset + 1 per partition, coalesced (one
 *   OffsetCommit in flight, offsets processed meanwhile go in the next one).
 * - pipeline: eachBatch, partitionsConsumedConcurrently 3 (one per input partition), fetch defaults
 *   (maxBytesPerPartition 1 MiB, maxBytes 10 MiB, minBytes 1, maxWaitTimeInMs 5000). Per batch:
 *   JSON.parse + hand-written check, one `producer.send` of all outputs, awaited, then the batch's
 *   offset is committed. (The local cluster returns one record batch per partition per Fetch, so a
 *   batch is one record batch of the input, a few hundred records here; larger fetch sizes or
 *   overlapping the sends of consecutive batches measured no faster.)
 * - consume: same fetch settings and concurrency, eachBatch counting each record, commit per batch.
 * - publish: `send` of 1,000 records, 8 sends in flight (closed loop; 1 in flight measured as fast,
 *   150k vs 146k msgs/s); 500×16 is as fast, 200×32 and 5,000×4 slower.
 * - request: body `{"n":i}`, reply `{"n":i+1}` (as the framework variant). Responder: eachBatch
 *   consumer of the request topic (group BENCH_GROUP, from the beginning, up to 8 partitions at
 *   once), the replies of a batch in one `sendBatch`, then commit. Requester: one `send` per request,
 *   replies read by its own group from `${inTopic}.replies.<random>` (auto-created by that
 *   subscription, from the beginning). Both consumers use maxWaitTimeInMs 10: the local cluster
 *   (librdkafka's mock) answers a Fetch that finds no data only after the full max wait, even if
 *   records arrive meanwhile, so the round trip is bound by this setting (100 gives p50 ≈ 100 ms,
 *   kafkajs' default 5000 would measure the mock). Readiness: probe requests until one is answered,
 *   then 200 warm-up requests, then the timed ones.
 * - rss: client defaults (maxBytesPerPartition 1 MiB, maxBytes 10 MiB, maxWaitTimeInMs 5000),
 *   eachMessage (partitionsConsumedConcurrently 1), each record awaits handlerDelayMs, then its
 *   offset is committed (coalesced as above).
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type Consumer,
  Kafka,
  type KafkaMessage,
  type LogEntry,
  logLevel,
  type Message,
  Partitioners,
  type Producer,
} from "kafkajs";
import {
  emit,
  frameworkHeaders,
  markFirst,
  parseUser,
  now,
  onTerminate,
  readSettings,
  registered,
  sampleRss,
} from "../protocol.js";
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

/** Records per send (publish). */
const PUBLISH_CHUNK = 1_000;
/** Sends in flight (publish). */
const PUBLISH_WINDOW = 8;
/** Partitions processed at once (pipeline, consume): one per input partition. */
const PARTITIONS_CONCURRENTLY = 3;

let stopping = false;

function fail(err: unknown): void {
  if (stopping) return;
  stopping = true;
  emit({ event: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
}

const logCreator = () => (entry: LogEntry) => {
  process.stderr.write(`[kafkajs ${entry.label}] ${entry.namespace}: ${entry.log.message}\n`);
};

const kafka = new Kafka({
  clientId: "raw-kafkajs",
  brokers: settings.brokers,
  logLevel: logLevel.WARN,
  logCreator,
});

const newProducer = (): Producer => kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });

/** Crashes of the consumer are fatal for a benchmark run. */
function watch(consumer: Consumer): Consumer {
  consumer.on(consumer.events.CRASH, (e) => fail(e.payload.error));
  return consumer;
}

/** Stops consuming, commits what was processed, and disconnects. */
function closeAll(consumers: Consumer[], committers: Committer[], producers: Producer[]): () => Promise<void> {
  return async () => {
    stopping = true;
    await Promise.allSettled(consumers.map((c) => c.stop()));
    await Promise.allSettled(committers.map((c) => c.flush()));
    await Promise.allSettled([...consumers, ...producers].map((c) => c.disconnect()));
  };
}

async function pipeline(): Promise<void> {
  const producer = newProducer();
  const consumer = watch(kafka.consumer({ groupId: settings.groupId }));
  const committer = new Committer(consumer, fail);
  onTerminate(closeAll([consumer], [committer], [producer]));
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topics: [settings.inTopic], fromBeginning: true });
  let invalid = 0;
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
    eachBatch: async ({ batch }) => {
      markFirst();
      const out: Message[] = [];
      for (const m of batch.messages) {
        const u = parseUser(m.value);
        if (u === undefined) invalid++;
        else out.push({ value: registered(u), headers: frameworkHeaders("application/json") });
      }
      if (out.length > 0) await producer.send({ topic: settings.outTopic, acks: -1, messages: out });
      committer.mark(batch.topic, batch.partition, batch.lastOffset());
    },
  });
  emit({ event: "ready", t: now() });
  if (invalid > 0) process.stderr.write(`skipped ${invalid} invalid records\n`);
}

async function consume(): Promise<void> {
  const consumer = watch(kafka.consumer({ groupId: settings.groupId }));
  const committer = new Committer(consumer, fail);
  onTerminate(closeAll([consumer], [committer], []));
  await consumer.connect();
  await consumer.subscribe({ topics: [settings.inTopic], fromBeginning: true });
  let count = 0;
  const handle = (_m: KafkaMessage): void => {
    if (++count === settings.count) emit({ event: "done", t: now(), count });
  };
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
    eachBatch: async ({ batch }) => {
      markFirst();
      for (const m of batch.messages) handle(m);
      committer.mark(batch.topic, batch.partition, batch.lastOffset());
    },
  });
  emit({ event: "ready", t: now() });
}

async function publish(): Promise<void> {
  const producer = newProducer();
  onTerminate(closeAll([], [], [producer]));
  await producer.connect();
  emit({ event: "ready", t: now() });
  const value = Buffer.alloc(settings.payloadBytes, "x");
  let next = 0;
  const sender = async (): Promise<void> => {
    while (next < settings.count) {
      const n = Math.min(PUBLISH_CHUNK, settings.count - next);
      next += n;
      const messages: Message[] = new Array(n);
      for (let i = 0; i < n; i++) messages[i] = { value, headers: frameworkHeaders("application/octet-stream") };
      await producer.send({ topic: settings.inTopic, acks: -1, messages });
    }
  };
  const start = now();
  await Promise.all(Array.from({ length: PUBLISH_WINDOW }, sender));
  emit({ event: "done", start, t: now(), count: settings.count });
}

function header(m: KafkaMessage, name: string): string | undefined {
  const h = m.headers?.[name];
  const v = Array.isArray(h) ? h[0] : h;
  return v?.toString();
}

async function request(): Promise<void> {
  const suffix = randomUUID().slice(0, 8);
  const replyTopic = `${settings.inTopic}.replies.${suffix}`;

  const producer = newProducer();
  const responder = watch(kafka.consumer({ groupId: settings.groupId, maxWaitTimeInMs: REQUEST_FETCH_WAIT_MS }));
  const replies = watch(
    kafka.consumer({ groupId: `${settings.groupId}.replies.${suffix}`, maxWaitTimeInMs: REQUEST_FETCH_WAIT_MS }),
  );
  const committer = new Committer(responder, fail);
  onTerminate(closeAll([responder, replies], [committer], [producer]));
  await Promise.all([producer.connect(), responder.connect(), replies.connect()]);
  await responder.subscribe({ topics: [settings.inTopic], fromBeginning: true });
  await replies.subscribe({ topics: [replyTopic], fromBeginning: true });

  // Responder: answers every request of a batch in one sendBatch, then commits the batch.
  await responder.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 8,
    eachBatch: async ({ batch }) => {
      const byTopic = new Map<string, Message[]>();
      for (const m of batch.messages) {
        const replyTo = header(m, "reply-to");
        const correlationId = header(m, "correlation-id");
        if (replyTo === undefined || correlationId === undefined) continue;
        const reply: Message = { value: answer(m.value), headers: { "correlation-id": correlationId } };
        const list = byTopic.get(replyTo);
        if (list) list.push(reply);
        else byTopic.set(replyTo, [reply]);
      }
      if (byTopic.size > 0) {
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
      }
      committer.mark(batch.topic, batch.partition, batch.lastOffset());
    },
  });

  // Requester: each request waits for the reply carrying its correlation id.
  const pending = new PendingReplies((n, id) =>
    producer.send({
      topic: settings.inTopic,
      acks: -1,
      messages: [{ value: JSON.stringify({ n }), headers: { "reply-to": replyTopic, "correlation-id": id } }],
    }),
  );
  await replies.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) pending.answered(header(m, "correlation-id"));
    },
  });

  await probeUntilAnswered((timeoutMs) => pending.call(timeoutMs));
  await timeRequests(settings.count, settings.concurrency, () => pending.call(REQUEST_TIMEOUT_MS));
}

async function rss(): Promise<void> {
  const consumer = watch(kafka.consumer({ groupId: settings.groupId }));
  const committer = new Committer(consumer, fail);
  onTerminate(closeAll([consumer], [committer], []));
  await consumer.connect();
  await consumer.subscribe({ topics: [settings.inTopic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      if (markFirst()) {
        setTimeout(() => emit({ event: "rss", ...stopRss!() }), settings.durationMs);
      }
      await sleep(settings.handlerDelayMs);
      committer.mark(topic, partition, message.offset);
    },
  });
  emit({ event: "ready", t: now() });
}

const scenarios = { pipeline, consume, publish, request, rss } as const;
const run = scenarios[settings.scenario];
if (run === undefined) fail(new Error(`unknown scenario ${settings.scenario}`));
else run().catch(fail);
