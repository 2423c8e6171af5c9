import { fileURLToPath } from "node:url";
import { packageConfig } from "../../vitest.shared.js";

export default packageConfig({
  globalSetup: [fileURLToPath(import.meta.resolve("@faststream/conformance/global-setup"))],
  timeoutMs: 60_000,
});
