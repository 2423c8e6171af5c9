import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { ValidationIssue } from "./errors.js";

export type { StandardSchemaV1 };

/** Any Standard Schema (zod, valibot, arktype, ...). */
export type AnySchema = StandardSchemaV1<unknown, unknown>;

/** The output type of a Standard Schema. */
export type InferOutput<S> = S extends StandardSchemaV1<unknown, infer O> ? O : unknown;

/** True if `value` implements Standard Schema v1. */
export function isStandardSchema(value: unknown): value is AnySchema {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const std = (value as { "~standard"?: { version?: unknown; validate?: unknown } })["~standard"];
  return typeof std === "object" && std !== null && std.version === 1 && typeof std.validate === "function";
}

/** Result of {@link validate}. */
export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

function pathToString(path: StandardSchemaV1.Issue["path"]): string {
  if (!path) return "";
  return path
    .map((seg) => (typeof seg === "object" && seg !== null ? seg.key : seg))
    .map(String)
    .join(".");
}

function toResult<T>(result: StandardSchemaV1.Result<T>): ValidationResult<T> {
  if (result.issues) {
    return { ok: false, issues: result.issues.map((i) => ({ message: i.message, path: pathToString(i.path) })) };
  }
  return { ok: true, value: result.value };
}

/**
 * Validates `value` against a Standard Schema. Returns synchronously when the schema does
 * (the common case), so the hot path allocates no promise.
 */
export function validate<T>(
  schema: StandardSchemaV1<unknown, T>,
  value: unknown,
): ValidationResult<T> | Promise<ValidationResult<T>> {
  const result = schema["~standard"].validate(value);
  return result instanceof Promise ? result.then(toResult) : toResult(result);
}
