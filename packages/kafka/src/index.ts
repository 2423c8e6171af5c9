export * from "./broker.js";
export type * from "./driver.js";
export * from "./headers.js";
export * from "./message.js";
export * from "./murmur2.js";
export * from "./options.js";
export type { KafkaPublisher } from "./publisher.js";
export type { KafkaHandler, KafkaSubscriber } from "./subscriber.js";
