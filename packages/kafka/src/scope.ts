import {
  ACK_POLICIES,
  type AckPolicy,
  type Codec,
  type CodecName,
  ContextRegistry,
  type Middleware,
  resolveCodec,
  SetupError,
} from "@faststream/core";
import type { KafkaMessage } from "./message.js";

/** A custom decoding step: return the body, or call `next()` for the codec's decoding. */
export type Decoder = (message: KafkaMessage<unknown>, next: () => unknown) => unknown;

/** A Kafka middleware (hooks get the received {@link KafkaMessage}). */
export type KafkaMiddleware = Middleware<KafkaMessage<unknown>>;

/** Settings that cascade from broker to routers to subscribers (nearest wins; middlewares stack). */
export interface ScopeOptions {
  /** Prefix of every topic declared in this scope. */
  readonly prefix?: string;
  /** Middlewares of this scope (run after the enclosing scopes' ones). */
  readonly middlewares?: readonly KafkaMiddleware[];
  /** Body codec. */
  readonly codec?: CodecName | Codec<unknown>;
  /** Custom decoding step. */
  readonly decoder?: Decoder;
  /** Acknowledgement policy. */
  readonly ackPolicy?: AckPolicy;
}

/** Checks an ack policy option. */
export function checkAckPolicy(value: unknown, option = "ackPolicy"): AckPolicy | undefined {
  if (value === undefined) return undefined;
  if (!ACK_POLICIES.includes(value as AckPolicy)) {
    throw new SetupError(option, `expected one of ${ACK_POLICIES.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as AckPolicy;
}

let version = 0;

/** One level of cascading settings. @internal */
export class Scope {
  parent: Scope | undefined;
  prefix: string;
  readonly middlewares: KafkaMiddleware[];
  readonly codec: Codec<unknown> | undefined;
  readonly decoder: Decoder | undefined;
  readonly ackPolicy: AckPolicy | undefined;
  /** App-scoped values (only the root scope's is used). */
  readonly context = new ContextRegistry();

  constructor(options: ScopeOptions = {}, parent?: Scope) {
    this.parent = parent;
    if (
      options.prefix !== undefined &&
      (typeof options.prefix !== "string" || !/^[a-zA-Z0-9._-]*$/.test(options.prefix))
    ) {
      throw new SetupError("prefix", `${JSON.stringify(options.prefix)} is not a valid topic prefix`);
    }
    this.prefix = options.prefix ?? "";
    if (options.middlewares !== undefined && !Array.isArray(options.middlewares)) {
      throw new SetupError("middlewares", "expected an array of middlewares");
    }
    this.middlewares = [...(options.middlewares ?? [])];
    this.codec = options.codec === undefined ? undefined : resolveCodec(options.codec);
    if (options.decoder !== undefined && typeof options.decoder !== "function") {
      throw new SetupError("decoder", "expected a function (message, next) => body");
    }
    this.decoder = options.decoder;
    this.ackPolicy = checkAckPolicy(options.ackPolicy);
  }

  /** Adds a middleware; it applies to everything declared in this scope, before or after. */
  use(middleware: KafkaMiddleware): void {
    if (typeof middleware !== "object" || middleware === null) throw new SetupError("middleware", "expected an object");
    this.middlewares.push(middleware);
    version++;
  }

  /** Bumped whenever any scope's middlewares or parents change. */
  static get version(): number {
    return version;
  }

  /** Marks a structural change (a router was included). */
  static touch(): void {
    version++;
  }

  /** Prefix of this scope and every enclosing one. */
  fullPrefix(): string {
    return (this.parent?.fullPrefix() ?? "") + this.prefix;
  }

  /** Middlewares outer to inner. */
  chain(): KafkaMiddleware[] {
    return [...(this.parent?.chain() ?? []), ...this.middlewares];
  }

  /** Nearest codec (default `auto`). */
  resolveCodec(): Codec<unknown> {
    return this.codec ?? this.parent?.resolveCodec() ?? resolveCodec(undefined);
  }

  /** Nearest decoder. */
  resolveDecoder(): Decoder | undefined {
    return this.decoder ?? this.parent?.resolveDecoder();
  }

  /** Nearest ack policy (default `reject_on_error`). */
  resolveAckPolicy(): AckPolicy {
    return this.ackPolicy ?? this.parent?.resolveAckPolicy() ?? "reject_on_error";
  }

  /** The root scope (the broker's, once included). */
  root(): Scope {
    return this.parent?.root() ?? this;
  }
}
