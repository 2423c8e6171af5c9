/**
 * librdkafka properties: the one place where the shared layer's connection, producer and
 * consumer settings become librdkafka's names.
 */
import type { ConsumerSpec, DriverConfig } from "@faststream/kafka";
import type {
  ConsumerGlobalConfig,
  ConsumerTopicConfig,
  GlobalConfig,
  ProducerGlobalConfig,
} from "@confluentinc/kafka-javascript";
import { librdkafkaSecurity } from "./security.js";

/** Room for a record's framing and a batch header on top of its payload. */
const RECORD_OVERHEAD_BYTES = 64 * 1024;

/** Connection properties every client of a driver shares (bootstrap, id, timeouts, TLS/SASL). */
export function connectionConfig(config: DriverConfig, clientId = config.clientId): GlobalConfig {
  return {
    "bootstrap.servers": config.brokers.join(","),
    "client.id": clientId,
    // librdkafka's minimum for the connection setup timeout is 1 s.
    "socket.connection.setup.timeout.ms": Math.max(1000, config.connectTimeoutMs),
    "socket.timeout.ms": Math.max(10, config.requestTimeoutMs),
    ...librdkafkaSecurity(config.security),
  } as GlobalConfig;
}

/**
 * librdkafka properties of the driver's producer: a delivery report per record (`dr_cb`),
 * Kafka's murmur2 partitioner, idempotence, and a 5 ms linger so records handed over one by
 * one still leave in batches.
 */
export function producerConfig(config: DriverConfig): ProducerGlobalConfig {
  return {
    ...connectionConfig(config),
    // librdkafka's default partitioner (consistent_random, CRC32) differs from the Java and
    // kafkajs clients; murmur2_random matches them: same key, same partition everywhere.
    partitioner: "murmur2_random",
    "linger.ms": 5,
    // Retries neither reorder nor duplicate a partition's records (the Java client's default).
    "enable.idempotence": true,
    // Producing to a topic that does not exist yet creates it where the cluster allows it
    // (as the kafkajs adapter does).
    "allow.auto.create.topics": true,
    // The shared layer refuses records over maxRecordBytes itself; librdkafka's own limit
    // (1,000,000 by default, protocol overhead included) must not refuse one it let through.
    "message.max.bytes": Math.min(
      1_000_000_000,
      Math.max(1_000_000, (config.maxRecordBytes ?? 0) + RECORD_OVERHEAD_BYTES),
    ),
    dr_cb: true,
  } as ProducerGlobalConfig;
}

/** Strategies that use the cooperative (incremental) protocol; librdkafka cannot mix them with eager ones. */
const COOPERATIVE = new Set(["cooperative-sticky"]);

/**
 * The first strategy wins; later ones are kept only if they speak the same protocol. Without a
 * preference: round robin, the default of kafkajs, so both adapters spread partitions alike.
 */
function strategies(spec: ConsumerSpec): string {
  const [first, ...rest] = spec.assignmentStrategies ?? [];
  if (first === undefined) return "roundrobin";
  const cooperative = COOPERATIVE.has(first);
  return [first, ...rest.filter((s) => COOPERATIVE.has(s) === cooperative)].join(",");
}

/**
 * librdkafka's pre-fetch queue bound. Its default (64 MiB) makes memory follow the backlog up to
 * that size (peak RSS 188 MB draining 50k records of 1 KiB, 213 MB at 200k); 16 MiB kept the
 * consume throughput of the bench and a flat peak (about 158 MB at both). At least one fetch
 * (`maxBytes`) always fits.
 */
const PREFETCH_KBYTES = 16 * 1024;

/** librdkafka's upper limit for the setting (INT_MAX / 1024). */
const MAX_PREFETCH_KBYTES = 2_097_151;

function prefetchKbytes(spec: ConsumerSpec): number {
  if (spec.maxBytes === undefined) return PREFETCH_KBYTES;
  return Math.min(MAX_PREFETCH_KBYTES, Math.max(PREFETCH_KBYTES, Math.ceil(spec.maxBytes / 1024)));
}

/** Default per-partition fetch size (that of the client's KafkaJS-style API). */
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

/**
 * librdkafka properties for a consumer: never auto-commits nor stores offsets (commits are
 * explicit), `rebalance_cb` decides assignments (see the consumer).
 */
export function consumerConfig(
  config: DriverConfig,
  spec: ConsumerSpec,
  rebalance: (err: { code: number }, assignment: { topic: string; partition: number }[]) => void,
): ConsumerGlobalConfig {
  return {
    ...connectionConfig(config),
    "group.id": spec.groupId,
    "enable.auto.commit": false,
    "enable.auto.offset.store": false,
    "allow.auto.create.topics": true,
    "session.timeout.ms": spec.sessionTimeoutMs,
    "heartbeat.interval.ms": spec.heartbeatIntervalMs,
    // librdkafka uses max.poll.interval.ms as the rebalance timeout (one knob for both).
    "max.poll.interval.ms": Math.max(spec.rebalanceTimeoutMs, spec.maxPollIntervalMs ?? 0, spec.sessionTimeoutMs),
    "fetch.wait.max.ms": spec.maxWaitMs,
    "isolation.level": spec.isolationLevel,
    // librdkafka's per-partition fetch size (alias max.partition.fetch.bytes); a whole fetch
    // may hold several partitions of that size up to librdkafka's fetch.max.bytes.
    "fetch.message.max.bytes": spec.maxBytesPerPartition ?? spec.maxBytes ?? DEFAULT_MAX_BYTES,
    ...(spec.minBytes !== undefined ? { "fetch.min.bytes": spec.minBytes } : {}),
    "queued.max.messages.kbytes": prefetchKbytes(spec),
    "partition.assignment.strategy": strategies(spec),
    ...(spec.groupInstanceId !== undefined ? { "group.instance.id": spec.groupInstanceId } : {}),
    rebalance_cb: rebalance,
  } as ConsumerGlobalConfig;
}

/** librdkafka topic properties for a consumer (where a partition without a committed offset starts). */
export function consumerTopicConfig(spec: ConsumerSpec): ConsumerTopicConfig {
  return { "auto.offset.reset": spec.fromBeginning ? "earliest" : "latest" };
}
