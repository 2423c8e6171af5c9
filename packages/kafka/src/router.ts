import { KafkaRegistry } from "./registry.js";
import { Scope, type ScopeOptions } from "./scope.js";

/** Options of {@link KafkaRouter}: defaults for everything declared in it. */
export type KafkaRouterOptions = ScopeOptions;

/**
 * A group of subscribers and publishers with a common topic prefix, middlewares, codec,
 * decoder and ack policy. Include it in a broker (or another router) with `includeRouter`.
 *
 * @example
 * const orders = new KafkaRouter({ prefix: "orders." });
 * orders.subscriber("created").handle((order) => ...);   // reads "orders.created"
 * broker.includeRouter(orders, { prefix: "v1." });        // now "v1.orders.created"
 */
export class KafkaRouter extends KafkaRegistry {
  constructor(options: KafkaRouterOptions = {}) {
    super(new Scope(options));
  }
}
