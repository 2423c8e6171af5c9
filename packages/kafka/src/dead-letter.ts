import { SetupError } from "@faststream/core";
import type { OutgoingRecord } from "./driver.js";
import type { KafkaMessage } from "./message.js";
import { checkTopicName } from "./target.js";

/** Header names a dead-lettered record carries. */
export const DeadLetterHeader = {
  errorClass: "faststream-dlt-error-class",
  errorMessage: "faststream-dlt-error-message",
  topic: "faststream-dlt-original-topic",
  partition: "faststream-dlt-original-partition",
  offset: "faststream-dlt-original-offset",
  group: "faststream-dlt-original-group",
  attempts: "faststream-dlt-attempts",
  timestamp: "faststream-dlt-original-timestamp",
  failedAt: "faststream-dlt-failed-at",
} as const;

/** Where rejected messages go. */
export interface DeadLetterOptions {
  /** The dead-letter topic. */
  readonly topic: string;
}

/** Validates the dead-letter option (a topic name or `{ topic }`). @internal */
export function resolveDeadLetter(option: string | DeadLetterOptions | undefined): string | undefined {
  if (option === undefined) return undefined;
  if (typeof option === "string") return checkTopicName(option, "deadLetter");
  if (typeof option !== "object" || option === null)
    throw new SetupError("deadLetter", "expected a topic or { topic }");
  return checkTopicName(option.topic, "deadLetter.topic");
}

function describe(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: typeof error, message: String(error) };
}

/**
 * The record that dead-letters `message`: the original key, body bytes and headers, plus
 * headers saying why (error class and message, original topic/partition/offset, group,
 * attempts, timestamps).
 */
export function deadLetterRecord(
  topic: string,
  message: KafkaMessage<unknown, unknown, unknown>,
  error: unknown,
  attempts: number,
): OutgoingRecord {
  const { name, message: text } = describe(error);
  const headers: Record<string, string | Buffer> = { ...message.headers };
  headers[DeadLetterHeader.errorClass] = name;
  headers[DeadLetterHeader.errorMessage] = text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text;
  headers[DeadLetterHeader.topic] = message.topic;
  headers[DeadLetterHeader.partition] = String(message.partition);
  headers[DeadLetterHeader.offset] = String(message.offset);
  headers[DeadLetterHeader.group] = message.groupId;
  headers[DeadLetterHeader.attempts] = String(attempts);
  headers[DeadLetterHeader.timestamp] = String(message.timestamp.getTime());
  headers[DeadLetterHeader.failedAt] = String(Date.now());
  return { topic, key: message.key, value: message.rawBody, headers };
}
