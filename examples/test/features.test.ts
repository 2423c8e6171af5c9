// Each feature example runs to completion on its own embedded cluster (or KAFKA_BROKERS) and
// prints what it demonstrates; these checks read that output like a user would.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const examplesDir = fileURLToPath(new URL("..", import.meta.url));

async function example(name: string): Promise<string> {
  const { stdout, stderr } = await run(
    process.execPath,
    ["--conditions=@faststream/source", "--import", "tsx", `features/${name}.ts`],
    {
      cwd: examplesDir,
      timeout: 60_000,
    },
  );
  const out = stdout + stderr;
  expect(out).toContain("demo finished");
  return out;
}

describe("feature examples", () => {
  it("router: prefixed, nested topics and a publisher inside a router", async () => {
    const out = await example("router");
    expect(out).toContain("order o-1 (42) from v1.orders.created");
    expect(out).toMatch(/shipped event on v1\.orders\.shipped: \{ id: 'o-1'/);
  });

  it("middleware: timing, publish hook and exception mapping", async () => {
    const out = await example("middleware");
    expect(out).toMatch(/handled lookups-0-0 in [\d.]+ ms/);
    expect(out).toContain("answer { found: true, id: '42' } stamped by lookup");
    expect(out).toContain("answer { found: false, reason: 'no item 7' } stamped by lookup");
  });

  it("batch: arrays of at most maxRecords typed bodies", async () => {
    const out = await example("batch");
    expect(out).toContain("published 10/10");
    const sizes = [...out.matchAll(/batch of (\d+)/g)].map((m) => Number(m[1]));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
    for (const s of sizes) expect(s).toBeLessThanOrEqual(4);
  });

  it("manual-ack: late acks, a nack comes back", async () => {
    const out = await example("manual-ack");
    expect(out).toContain("payment p-2: gateway timeout, nack (it will come back)");
    expect(out).toMatch(/payment p-2: confirmed, ack/);
    expect(out).toMatch(/payment p-3: confirmed, ack/);
  });

  it("concurrency: parallel handlers, per-key order", async () => {
    const out = await example("concurrency");
    const max = Number(/max handlers in flight: (\d+)/.exec(out)?.[1]);
    expect(max).toBeGreaterThan(1);
    expect(max).toBeLessThanOrEqual(4);
    for (const k of [0, 1, 2, 3]) {
      const seqs = new RegExp(`user-${k}: ([\\d,]+)`).exec(out)?.[1]?.split(",").map(Number);
      expect(seqs).toEqual([k, k + 4, k + 8]);
    }
  });
});
