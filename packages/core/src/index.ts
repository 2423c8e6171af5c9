export * from "./ack.js";
export * from "./app.js";
export * from "./codec.js";
export * from "./context.js";
export * from "./errors.js";
export * from "./logger.js";
export * from "./middleware.js";
export * from "./schema.js";
