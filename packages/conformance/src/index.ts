export * from "./env.js";
export * from "./suite.js";
