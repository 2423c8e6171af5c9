export * from "./broker.js";
export type { BatchItem, BatchResult } from "./batch-publish.js";
export type { HandlerCall, HandlerOptions, KafkaHandler } from "./declaration.js";
export type * from "./driver.js";
export type { HandlerDecorator, KafkaSubscriber } from "./facade.js";
export * from "./headers.js";
export * from "./message.js";
export * from "./murmur2.js";
export * from "./options.js";
export { type KafkaPublisher, toPublishError } from "./publisher.js";
export { type BodyOf, type IncludeOptions, KafkaRegistry } from "./registry.js";
export * from "./response.js";
export * from "./router.js";
export type { Decoder, KafkaMiddleware, ScopeOptions } from "./scope.js";
export * from "./subscriber-options.js";
export type { ParamNames, PathParams, SubscriberTarget } from "./target.js";
export { MemoryCluster, MemoryDriver } from "./memory/index.js";
export * from "./testing.js";
export { type KafkaRequestOptions, RequestTimeoutError } from "./request.js";
export * from "./security.js";
export {
  BatchGate,
  type ClientBatchControl,
  groupByTopic,
  type KafkaJsStyleClient,
  KafkaJsStyleConsumer,
  partitionKey,
} from "./driver-kit.js";
export { Semaphore } from "./semaphore.js";
export { BatchSettle, NO_METADATA, PublishSettle } from "./settle.js";
export { DeadLetterHeader, type DeadLetterOptions } from "./dead-letter.js";
export type { Backoff, RetryOptions } from "./retry.js";
