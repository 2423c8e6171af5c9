// Sums the vitest JSON reports every package wrote during `pnpm test` into one closing line.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const dirs = [...readdirSync(join(root, "packages")).map((d) => join(root, "packages", d)), join(root, "examples")];
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const dir of dirs) {
  const file = join(dir, ".vitest-report.json");
  if (!existsSync(file)) continue;
  const r = JSON.parse(readFileSync(file, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  rows.push(`  ${dir.slice(root.length).padEnd(24)} ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
}
console.log(rows.join("\n"));
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
