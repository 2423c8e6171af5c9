/**
 * The error taxonomy of FastStream. Every error the framework raises is a
 * {@link FastStreamError}; adapters map client-library errors into these classes.
 * Use the `is*` guards (brand checks) rather than `instanceof` across package copies.
 */

const BRAND = Symbol.for("faststream.error");

/** Where a message came from: used to name it in errors and log lines. */
export interface MessageLocation {
  readonly topic: string;
  readonly partition?: number;
  readonly offset?: number | string;
}

/** Formats a location as `topic[partition]@offset`. */
export function formatLocation(location: MessageLocation): string {
  let s = location.topic;
  if (location.partition !== undefined) s += `[${location.partition}]`;
  if (location.offset !== undefined) s += `@${location.offset}`;
  return s;
}

/** Base class of every error FastStream raises. */
export class FastStreamError extends Error {
  /** Stable machine-readable code, e.g. `SETUP`, `DECODE`, `VALIDATION`. */
  readonly code: string;
  readonly [BRAND] = true;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** True for any error raised by FastStream, even from another copy of the package. */
export function isFastStreamError(value: unknown): value is FastStreamError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Misconfiguration detected at declaration time; `option` names the offending option. */
export class SetupError extends FastStreamError {
  constructor(
    readonly option: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("SETUP", `Invalid option "${option}": ${message}`, options);
  }
}

/** An error tied to one received message; names topic/partition/offset. */
export class MessageError extends FastStreamError {
  constructor(
    code: string,
    readonly location: MessageLocation,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${message} (message ${formatLocation(location)})`, options);
  }
}

/** The message body could not be decoded (e.g. invalid JSON, invalid UTF-8, too large). */
export class DecodeError extends MessageError {
  constructor(location: MessageLocation, message: string, options?: { cause?: unknown }) {
    super("DECODE", location, message, options);
  }
}

/** One problem reported by a schema. */
export interface ValidationIssue {
  readonly message: string;
  /** Dotted path into the body, e.g. `user.id`; empty for the root. */
  readonly path: string;
}

/** The decoded body did not satisfy the subscriber's schema. */
export class ValidationError extends MessageError {
  constructor(
    location: MessageLocation,
    readonly issues: readonly ValidationIssue[],
  ) {
    const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
    super("VALIDATION", location, `Body failed validation: ${summary}`);
  }
}

/** A handler threw; the original error is the `cause`. */
export class HandlerError extends MessageError {
  constructor(location: MessageLocation, cause: unknown) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super("HANDLER", location, `Handler failed: ${reason}`, { cause });
  }
}

/** Publishing failed; `topic` names the destination. */
export class PublishError extends FastStreamError {
  constructor(
    readonly topic: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("PUBLISH", `Publish to "${topic}" failed: ${message}`, options);
  }
}

/** Connecting to, or talking with, the message broker failed. */
export class ConnectionError extends FastStreamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONNECTION", message, options);
  }
}

/** An operation needs a started (or stopped) broker/app and it is not. */
export class StateError extends FastStreamError {
  constructor(message: string) {
    super("STATE", message);
  }
}
