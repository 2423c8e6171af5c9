export * from "./context.js";
export * from "./env.js";
export * from "./network.js";
export * from "./suite.js";
