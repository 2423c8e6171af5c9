import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isStandardSchema, type StandardSchemaV1, type ValidationResult, validate } from "./schema.js";

const Order = z.object({
  id: z.string(),
  items: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })),
});

/** A hand-written async Standard Schema: accepts positive numbers, doubling them. */
const asyncPositive: StandardSchemaV1<unknown, number> = {
  "~standard": {
    version: 1,
    vendor: "test",
    validate: (value) =>
      Promise.resolve(
        typeof value === "number" && value > 0
          ? { value: value * 2 }
          : { issues: [{ message: "expected a positive number", path: [{ key: "amount" }, 0] }] },
      ),
  },
};

describe("validate with zod", () => {
  it("returns the parsed value synchronously on success", () => {
    const result = validate(Order, { id: "o1", items: [{ sku: "a", qty: 2 }], extra: true });
    expect(result).not.toBeInstanceOf(Promise);
    expect(result).toEqual({ ok: true, value: { id: "o1", items: [{ sku: "a", qty: 2 }] } });
  });

  it("returns issues synchronously on failure, with dotted paths", () => {
    const result = validate(Order, { id: 5, items: [{ sku: "a", qty: 0 }] }) as ValidationResult<unknown>;
    expect(result).not.toBeInstanceOf(Promise);
    expect(result.ok).toBe(false);
    if (result.ok) throw new Error("unreachable");
    const paths = result.issues.map((i) => i.path).sort();
    expect(paths).toEqual(["id", "items.0.qty"]);
    for (const issue of result.issues) expect(issue.message.length).toBeGreaterThan(0);
  });

  it("reports an empty path for a root issue", () => {
    const result = validate(z.string(), 42) as ValidationResult<string>;
    expect(result.ok).toBe(false);
    if (result.ok) throw new Error("unreachable");
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]!.path).toBe("");
  });
});

describe("validate with an async Standard Schema", () => {
  it("returns a promise resolving to the output value", async () => {
    const pending = validate(asyncPositive, 21);
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).resolves.toEqual({ ok: true, value: 42 });
  });

  it("returns a promise resolving to issues with key segments flattened", async () => {
    await expect(validate(asyncPositive, -1)).resolves.toEqual({
      ok: false,
      issues: [{ message: "expected a positive number", path: "amount.0" }],
    });
  });
});

describe("isStandardSchema", () => {
  it("accepts zod schemas and hand-written v1 schemas", () => {
    expect(isStandardSchema(Order)).toBe(true);
    expect(isStandardSchema(asyncPositive)).toBe(true);
    const fnSchema = Object.assign(() => undefined, {
      "~standard": { version: 1, vendor: "f", validate: () => ({ value: 1 }) },
    });
    expect(isStandardSchema(fnSchema)).toBe(true);
  });

  it("rejects non-schemas", () => {
    expect(isStandardSchema(null)).toBe(false);
    expect(isStandardSchema(undefined)).toBe(false);
    expect(isStandardSchema("schema")).toBe(false);
    expect(isStandardSchema({})).toBe(false);
    expect(isStandardSchema({ "~standard": null })).toBe(false);
    expect(isStandardSchema({ "~standard": { version: 2, validate: () => ({ value: 1 }) } })).toBe(false);
    expect(isStandardSchema({ "~standard": { version: 1, validate: "no" } })).toBe(false);
  });
});
