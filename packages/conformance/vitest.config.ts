import { packageConfig } from "../../vitest.shared.js";

export default packageConfig({ timeoutMs: 60_000 });
