// Shared vitest settings: tests import sibling workspace packages from their TypeScript
// sources, so no build is needed before testing any package.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const packagesDir = fileURLToPath(new URL("./packages/", import.meta.url));

/** `@faststream/<pkg>` resolves to `packages/<pkg>/src/index.ts`. */
export const sourceAliases = [
  { find: /^@faststream\/kafka\/memory$/, replacement: `${packagesDir}kafka/src/memory/index.ts` },
  {
    find: /^@faststream\/(core|kafka|kafkajs|confluent|kafka-local)$/,
    replacement: `${packagesDir}$1/src/index.ts`,
  },
];

/** Base config every package's vitest.config.ts extends. */
export function packageConfig(options: { globalSetup?: string[]; timeoutMs?: number } = {}) {
  return defineConfig({
    resolve: { alias: sourceAliases },
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      globalSetup: options.globalSetup ?? [],
      testTimeout: options.timeoutMs ?? 30_000,
      hookTimeout: options.timeoutMs ?? 30_000,
      pool: "forks",
      // The JSON report feeds the one-line total that `pnpm test` prints at the end.
      reporters: ["default", ["json", { outputFile: ".vitest-report.json" }]],
    },
  });
}
