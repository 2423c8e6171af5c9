// Shared harness of the pipeline tests: hand-built configs and messages whose settlements,
// log lines and sends are recorded.
import {
  type AnySchema,
  autoCodec,
  ContextRegistry,
  type LogFields,
  type Logger,
  type Settlement,
} from "@faststream/core";
import type { OutgoingRecord, RawRecord } from "../src/driver.js";
import { KafkaMessage, type MessageOrigin } from "../src/message.js";
import type { PipelineConfig, PreparedHandler } from "../src/pipeline.js";
import { buildRecord, createPublisher } from "../src/publisher.js";
import { type KafkaMiddleware, Scope } from "../src/scope.js";

export type Line = { level: string; fields: LogFields; message: string };
export type Msg = KafkaMessage<unknown, unknown, unknown>;

export function captureLogger(lines: Line[], bindings: LogFields = {}): Logger {
  const at = (level: string) => (fields: LogFields, message: string) => {
    lines.push({ level, fields: { ...bindings, ...fields }, message });
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (more) => captureLogger(lines, { ...bindings, ...more }),
  };
}

/** Messages of `orders[0]`, whose settlements are recorded, plus a config with a recording `send`. */
export function setup(handlers: PreparedHandler[], overrides: Partial<PipelineConfig> = {}) {
  const lines: Line[] = [];
  const settled: [number, Settlement][] = [];
  const sent: { record: OutgoingRecord; body: unknown; middlewares: readonly KafkaMiddleware[] }[] = [];
  const origin: MessageOrigin = {
    topic: "orders",
    partition: 0,
    groupId: "g",
    logger: captureLogger(lines),
    context: new ContextRegistry(),
    params: {},
    settle: (m, s) => settled.push([m.offset, s]),
  };
  let offset = 0;
  const message = (value: string | null = '{"n":1}', record: Partial<RawRecord> = {}): Msg =>
    new KafkaMessage(origin, {
      key: null,
      value: value === null ? null : Buffer.from(value),
      offset: String(offset++),
      timestamp: "1700000000000",
      ...record,
    });
  const config: PipelineConfig = {
    codec: autoCodec,
    decoder: undefined,
    schema: undefined,
    dependencies: undefined,
    middlewares: [],
    handlers,
    send: async (record, body, middlewares) => {
      sent.push({ record, body, middlewares });
      return { topic: record.topic, partition: 0, offset: String(sent.length - 1) };
    },
    // Goes through `send` (overridable), as the broker's deliver does without middlewares.
    deliver: (record, settle) => {
      config.send(record, undefined, []).then(
        (meta) => settle.resolve(meta),
        (err: unknown) => settle.reject(err),
      );
    },
    replyRecord: (body, topic, correlationId) => buildRecord(topic, body, { correlationId }, undefined, autoCodec),
    label: "orders",
    ...overrides,
  };
  const errors = () => lines.filter((l) => l.level === "error");
  return { config, message, settled, sent, lines, errors };
}

export function handler(call: PreparedHandler["call"], extra: Partial<PreparedHandler> = {}): PreparedHandler {
  return { call, filter: undefined, middlewares: [], ackPolicy: "reject_on_error", publishers: [], ...extra };
}

export const fail = (): never => {
  throw new Error("boom");
};
export const publisher = (topic: string) => createPublisher({ scope: new Scope(), sink: () => undefined }, topic);
export const failingSchema: AnySchema = {
  "~standard": { version: 1, vendor: "t", validate: () => ({ issues: [{ message: "n must be positive" }] }) },
};
