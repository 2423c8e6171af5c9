export * from "./app.js";
export * from "./codec.js";
export * from "./errors.js";
export * from "./logger.js";
export * from "./schema.js";
