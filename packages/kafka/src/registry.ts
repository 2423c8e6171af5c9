import {
  type AnySchema,
  type Codec,
  type CodecName,
  type CodecOutput,
  type InferOutput,
  StateError,
} from "@faststream/core";
import { SubscriberDecl } from "./declaration.js";
import { createSubscriberFacade, type FacadeHost, type KafkaSubscriber } from "./facade.js";
import { checkTopic, type KafkaPublisherOptions } from "./options.js";
import { createPublisher, type KafkaPublisher, type RecordSink } from "./publisher.js";
import { type KafkaMiddleware, Scope } from "./scope.js";
import type { KafkaSubscriberOptions } from "./subscriber-options.js";
import type { SubscriberRuntime } from "./subscriber.js";
import { type PathParams, resolveTarget, type SubscriberTarget } from "./target.js";

/** The body type a subscriber's handlers receive: the schema's output, else the codec's. */
export type BodyOf<S, C> = S extends AnySchema ? InferOutput<S> : CodecOutput<C>;

/** What a registry needs from the broker it ends up in. @internal */
export interface RegistryHost extends FacadeHost, RecordSink {
  materialize(decl: SubscriberDecl): void;
}

/** Options of `includeRouter`. */
export interface IncludeOptions {
  /** Extra prefix for every topic of the included router. */
  readonly prefix?: string;
}

/**
 * Where subscribers and publishers are declared: the broker and every router. Settings cascade
 * from the broker through routers to subscribers.
 */
export abstract class KafkaRegistry {
  /** @internal */
  readonly scope: Scope;
  readonly #decls: SubscriberDecl[] = [];
  readonly #routers: KafkaRegistry[] = [];
  #parent: KafkaRegistry | undefined;

  protected constructor(scope: Scope) {
    this.scope = scope;
  }

  /** The broker this registry is part of, if any. @internal */
  protected host(): RegistryHost | undefined {
    return this.#parent?.host();
  }

  /**
   * Declares a subscriber. `target` is a topic, a list of topics, a `{name}` template (a
   * pattern whose parameters handlers get as `message.params`), a RegExp, or
   * `{ partitions: [{ topic, partition }] }` for manual assignment. The body type is inferred
   * from `options.schema` (any Standard Schema), else from `options.codec`.
   *
   * @example
   * broker.subscriber("in-topic", { schema: User }).handle(({ user, user_id }) => `${user_id} ${user}`);
   */
  subscriber<
    const Tgt extends SubscriberTarget,
    S extends AnySchema | undefined = undefined,
    C extends CodecName | Codec<unknown> = "auto",
    D extends object = {},
    B extends boolean = false,
  >(
    target: Tgt,
    options: KafkaSubscriberOptions<S, C, D> & { readonly batch?: B } = {},
  ): KafkaSubscriber<BodyOf<S, C>, PathParams<Tgt>, D, B> {
    const decl = new SubscriberDecl(this.scope, target, options as ConstructorParameters<typeof SubscriberDecl>[2]);
    const host = this.host();
    // Validated now: against the driver's capabilities when this is (in) a broker, else again on inclusion.
    if (!host) decl.resolve();
    const resolved = resolveTarget(target, this.scope.fullPrefix());
    this.#decls.push(decl);
    host?.materialize(decl);
    return createSubscriberFacade(
      decl,
      () => this.host(),
      resolved.label,
      (t, o) => this.publisher(t, o),
    );
  }

  /** Declares a publisher for `topic` (prefixed like this registry's subscribers). */
  publisher(topic: string, options: KafkaPublisherOptions = {}): KafkaPublisher {
    return createPublisher({ scope: this.scope, sink: () => this.host() }, checkTopic(topic), options);
  }

  /** Adds a middleware for everything declared here, before or after this call. */
  use(middleware: KafkaMiddleware): this {
    this.scope.use(middleware);
    return this;
  }

  /** Includes a router: its subscribers and publishers join this registry, under `prefix`. */
  includeRouter(router: KafkaRegistry, options: IncludeOptions = {}): this {
    if (router === this) throw new StateError("a router cannot include itself");
    if (router.#parent) throw new StateError("this router is already included elsewhere");
    if (options.prefix !== undefined) {
      // validated like any prefix
      new Scope({ prefix: options.prefix });
      router.scope.prefix = options.prefix + router.scope.prefix;
    }
    router.#parent = this;
    router.scope.parent = this.scope;
    this.#routers.push(router);
    Scope.touch();
    const host = this.host();
    if (host) router.#materializeAll(host);
    return this;
  }

  #materializeAll(host: RegistryHost): void {
    for (const d of this.#decls) host.materialize(d);
    for (const r of this.#routers) r.#materializeAll(host);
  }

  /** @internal every declaration in this registry and included routers. */
  protected declarations(): SubscriberDecl[] {
    return [...this.#decls, ...this.#routers.flatMap((r) => r.declarations())];
  }
}

export type { SubscriberRuntime };
