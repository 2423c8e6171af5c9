import { packageConfig } from "../vitest.shared.js";

// Each case starts its own local cluster (or uses KAFKA_BROKERS), so no global setup here.
export default packageConfig({ timeoutMs: 90_000 });
