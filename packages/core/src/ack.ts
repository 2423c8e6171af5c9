/**
 * Acknowledgement: policies and the control-flow errors a handler may throw to settle its
 * message explicitly.
 */
import { FastStreamError } from "./errors.js";

/**
 * When a message counts as done.
 * - `ack_first`: settled (committed) before the handler runs: at-most-once.
 * - `ack`: settled after the handler, whether it succeeded or failed.
 * - `reject_on_error` (default): acked on success, rejected on error (Kafka: the offset moves
 *   on; the failure is logged and, with a dead-letter policy, forwarded).
 * - `nack_on_error`: acked on success, nacked on error (Kafka: redelivered from that offset).
 * - `manual`: the handler settles with `message.ack()`, `nack()` or `reject()`, possibly after
 *   it returned; an unsettled message holds back the partition's committed offset.
 */
export type AckPolicy = "ack_first" | "ack" | "reject_on_error" | "nack_on_error" | "manual";

/** All policies, for validation. */
export const ACK_POLICIES: readonly AckPolicy[] = ["ack_first", "ack", "reject_on_error", "nack_on_error", "manual"];

/** How a message was settled. */
export type Settlement = "ack" | "nack" | "reject";

const CONTROL = Symbol.for("faststream.control");

/** Base of the control-flow errors: thrown from a handler or middleware, never logged as failures. */
export class ControlFlow extends FastStreamError {
  readonly [CONTROL] = true;
  constructor(
    code: string,
    message: string,
    /** Settlement it asks for (`undefined`: stop consuming, settle as processed). */
    readonly settlement: Settlement | "skip" | "stop",
  ) {
    super(code, message);
  }
}

/** True for any control-flow error, even from another copy of the package. */
export function isControlFlow(value: unknown): value is ControlFlow {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[CONTROL] === true;
}

/** Acknowledge the message now and end processing (no result is published). */
export class AckMessage extends ControlFlow {
  constructor(message = "message acknowledged by the handler") {
    super("ACK", message, "ack");
  }
}

/** Negatively acknowledge: the message is redelivered. */
export class NackMessage extends ControlFlow {
  constructor(message = "message nacked by the handler") {
    super("NACK", message, "nack");
  }
}

/** Reject: the message is not redelivered (dead-lettered when a policy says so). */
export class RejectMessage extends ControlFlow {
  constructor(message = "message rejected by the handler") {
    super("REJECT", message, "reject");
  }
}

/** Skip the rest of processing; the message counts as handled (acked), nothing is published. */
export class SkipMessage extends ControlFlow {
  constructor(message = "message skipped") {
    super("SKIP", message, "skip");
  }
}

/** Stop this subscriber: the current message counts as handled, no further message is taken. */
export class StopConsume extends ControlFlow {
  constructor(message = "subscriber asked to stop consuming") {
    super("STOP", message, "stop");
  }
}
