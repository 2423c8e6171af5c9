/**
 * FFI bindings to librdkafka's built-in mock cluster (a real Kafka wire-protocol server
 * maintained by Confluent for librdkafka's own tests).
 * @internal
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import koffi from "koffi";

/** Opaque pointer as koffi hands it back. */
export type Pointer = unknown;

/** The subset of librdkafka's C API the local cluster uses. */
export interface MockApi {
  readonly version: string;
  confNew(): Pointer;
  confSet(conf: Pointer, name: string, value: string): void;
  kafkaNew(conf: Pointer): Pointer;
  kafkaDestroy(rk: Pointer): void;
  clusterNew(rk: Pointer, brokers: number): Pointer;
  clusterDestroy(mc: Pointer): void;
  bootstraps(mc: Pointer): string;
  setControllerId(mc: Pointer, id: number): void;
  setApiVersion(mc: Pointer, apiKey: number, min: number, max: number): number;
  initialRebalanceDelay(mc: Pointer, ms: number): void;
  topicCreate(mc: Pointer, topic: string, partitions: number, replication: number): number;
  brokerSetDown(mc: Pointer, brokerId: number): number;
  brokerSetUp(mc: Pointer, brokerId: number): number;
  brokerSetRtt(mc: Pointer, brokerId: number, rttMs: number): number;
  partitionSetLeader(mc: Pointer, topic: string, partition: number, brokerId: number): number;
  pushRequestErrors(mc: Pointer, apiKey: number, errors: readonly number[]): void;
  clearRequestErrors(mc: Pointer, apiKey: number): void;
  errName(code: number): string;
}

let cached: MockApi | undefined;

/**
 * Finds the librdkafka shared library. `FASTSTREAM_LIBRDKAFKA` wins; otherwise the copy that
 * `@confluentinc/kafka-javascript` built (a recent librdkafka with a complete mock API); otherwise
 * the system's `librdkafka.so.1`.
 */
export function findLibrdkafka(): string {
  const fromEnv = process.env["FASTSTREAM_LIBRDKAFKA"];
  if (fromEnv) return fromEnv;
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve("@confluentinc/kafka-javascript/package.json");
    const candidate = join(dirname(pkg), "build", "deps", "librdkafka.so.1");
    if (existsSync(candidate)) return candidate;
  } catch {
    // not installed: fall through to the system library
  }
  return "librdkafka.so.1";
}

/** Loads librdkafka once per process and declares the functions the mock cluster needs. */
export function loadMockApi(): MockApi {
  if (cached) return cached;
  const lib = koffi.load(findLibrdkafka());
  const version = lib.func("const char *rd_kafka_version_str()");
  const confNew = lib.func("void *rd_kafka_conf_new()");
  const confSet = lib.func(
    "int rd_kafka_conf_set(void *conf, const char *name, const char *value, _Out_ char *errstr, size_t errstr_size)",
  );
  const kafkaNew = lib.func("void *rd_kafka_new(int type, void *conf, _Out_ char *errstr, size_t errstr_size)");
  const kafkaDestroy = lib.func("void rd_kafka_destroy(void *rk)");
  const clusterNew = lib.func("void *rd_kafka_mock_cluster_new(void *rk, int broker_cnt)");
  const clusterDestroy = lib.func("void rd_kafka_mock_cluster_destroy(void *mc)");
  const bootstraps = lib.func("const char *rd_kafka_mock_cluster_bootstraps(void *mc)");
  const setControllerId = lib.func("void rd_kafka_mock_set_controller_id(void *mc, int32_t id)");
  const setApiVersion = lib.func("int rd_kafka_mock_set_apiversion(void *mc, int16_t api, int16_t min, int16_t max)");
  const initialRebalanceDelay = lib.func("void rd_kafka_mock_group_initial_rebalance_delay_ms(void *mc, int32_t ms)");
  const topicCreate = lib.func(
    "int rd_kafka_mock_topic_create(void *mc, const char *topic, int partitions, int replication)",
  );
  const brokerSetDown = lib.func("int rd_kafka_mock_broker_set_down(void *mc, int32_t id)");
  const brokerSetUp = lib.func("int rd_kafka_mock_broker_set_up(void *mc, int32_t id)");
  const brokerSetRtt = lib.func("int rd_kafka_mock_broker_set_rtt(void *mc, int32_t id, int rtt)");
  const partitionSetLeader = lib.func(
    "int rd_kafka_mock_partition_set_leader(void *mc, const char *topic, int32_t partition, int32_t id)",
  );
  const pushErrors = lib.func(
    "void rd_kafka_mock_push_request_errors_array(void *mc, int16_t api, size_t cnt, int32_t *errors)",
  );
  const clearErrors = lib.func("void rd_kafka_mock_clear_request_errors(void *mc, int16_t api)");
  const errName = lib.func("const char *rd_kafka_err2name(int err)");

  const errBuf = (): Buffer => Buffer.alloc(512);
  const cstr = (b: Buffer): string => b.toString("utf8", 0, Math.max(0, b.indexOf(0)));

  cached = {
    version: String(version()),
    confNew: () => confNew(),
    confSet(conf, name, value) {
      const buf = errBuf();
      if (confSet(conf, name, value, buf, buf.length) !== 0) {
        throw new Error(`librdkafka rejected ${name}=${value}: ${cstr(buf)}`);
      }
    },
    kafkaNew(conf) {
      const buf = errBuf();
      const rk: unknown = kafkaNew(1 /* RD_KAFKA_CONSUMER: no producer threads needed */, conf, buf, buf.length);
      if (!rk) throw new Error(`rd_kafka_new failed: ${cstr(buf)}`);
      return rk;
    },
    kafkaDestroy: (rk) => kafkaDestroy(rk),
    clusterNew(rk, brokers) {
      const mc: unknown = clusterNew(rk, brokers);
      if (!mc) throw new Error("rd_kafka_mock_cluster_new failed");
      return mc;
    },
    clusterDestroy: (mc) => clusterDestroy(mc),
    bootstraps: (mc) => String(bootstraps(mc)),
    setControllerId: (mc, id) => setControllerId(mc, id),
    setApiVersion: (mc, api, min, max) => Number(setApiVersion(mc, api, min, max)),
    initialRebalanceDelay: (mc, ms) => initialRebalanceDelay(mc, ms),
    topicCreate: (mc, topic, partitions, replication) => Number(topicCreate(mc, topic, partitions, replication)),
    brokerSetDown: (mc, id) => Number(brokerSetDown(mc, id)),
    brokerSetUp: (mc, id) => Number(brokerSetUp(mc, id)),
    brokerSetRtt: (mc, id, rtt) => Number(brokerSetRtt(mc, id, rtt)),
    partitionSetLeader: (mc, topic, partition, id) => Number(partitionSetLeader(mc, topic, partition, id)),
    pushRequestErrors: (mc, api, errors) => pushErrors(mc, api, errors.length, Int32Array.from(errors)),
    clearRequestErrors: (mc, api) => clearErrors(mc, api),
    errName: (code) => String(errName(code)),
  };
  return cached;
}
