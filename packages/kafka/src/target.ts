import { SetupError } from "@faststream/core";
import type { Subscription, TopicPartition } from "./driver.js";

const TOPIC_RE = /^[a-zA-Z0-9._-]{1,249}$/;
const PARAM_RE = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names of `{name}` parameters in a topic template. */
export type ParamNames<S extends string> = S extends `${string}{${infer P}}${infer Rest}`
  ? P | ParamNames<Rest>
  : never;

/** Path parameters a subscriber target exposes on its messages (`message.params`). */
export type PathParams<Target> = Target extends string
  ? [ParamNames<Target>] extends [never]
    ? {}
    : { readonly [K in ParamNames<Target>]: string }
  : Target extends RegExp
    ? Readonly<Record<string, string | undefined>>
    : {};

/** What a subscriber reads, before a router prefix is applied. */
export type SubscriberTarget = string | readonly string[] | RegExp | { readonly partitions: readonly TopicPartition[] };

/** A resolved target: the driver subscription plus how to extract path parameters. */
export interface ResolvedTarget {
  readonly subscription: Subscription;
  /** Named-group regex for `{name}` templates; `undefined` when there are no parameters. */
  readonly params: RegExp | undefined;
  /** Human-readable description (topics, pattern or partitions). */
  readonly label: string;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The topic name {@link checkTopicName} last found valid. */
let lastValidTopic: string | undefined;

/** Checks a topic name. */
export function checkTopicName(topic: unknown, option: string): string {
  // `broker.publish` checks its topic on every call, usually the one it checked last time.
  if (typeof topic !== "string" || (topic !== lastValidTopic && !TOPIC_RE.test(topic))) {
    throw new SetupError(option, `${JSON.stringify(topic)} is not a valid Kafka topic name`);
  }
  lastValidTopic = topic;
  return topic;
}

function templateToRegex(template: string): RegExp {
  let source = "";
  let last = 0;
  for (const m of template.matchAll(PARAM_RE)) {
    source += `${escapeRegex(template.slice(last, m.index))}(?<${m[1]}>[a-zA-Z0-9_-]+)`;
    last = m.index + m[0].length;
  }
  source += escapeRegex(template.slice(last));
  return new RegExp(`^${source}$`);
}

/**
 * Resolves a subscriber target with a router prefix. Strings with `{name}` parameters become
 * patterns; a RegExp is a pattern; `{ partitions }` is a manual assignment.
 */
export function resolveTarget(target: unknown, prefix: string): ResolvedTarget {
  if (target instanceof RegExp) {
    const body = target.source.replace(/^\^/, "").replace(/\$$/, "");
    const pattern = new RegExp(`^${escapeRegex(prefix)}(?:${body})$`, target.flags.replace("g", ""));
    return { subscription: { kind: "pattern", pattern }, params: pattern, label: String(pattern) };
  }
  if (typeof target === "object" && target !== null && !Array.isArray(target)) {
    const keys = Object.keys(target);
    if (keys.length !== 1 || keys[0] !== "partitions") {
      throw new SetupError(
        keys.filter((k) => k !== "partitions").join(", ") || "partitions",
        "a subscriber reads topics, a pattern or { partitions }; these cannot be mixed",
      );
    }
    const list = (target as { partitions: unknown }).partitions;
    if (!Array.isArray(list) || list.length === 0) throw new SetupError("partitions", "expected a non-empty array");
    const partitions = list.map((p: unknown, i) => {
      const tp = p as Partial<TopicPartition>;
      if (typeof tp !== "object" || tp === null || !Number.isInteger(tp.partition) || (tp.partition as number) < 0) {
        throw new SetupError(`partitions[${i}]`, "expected { topic, partition } with a partition >= 0");
      }
      checkTopicName(tp.topic, `partitions[${i}].topic`);
      return { topic: checkTopicName(prefix + tp.topic, `partitions[${i}].topic`), partition: tp.partition as number };
    });
    return {
      subscription: { kind: "partitions", partitions },
      params: undefined,
      label: partitions.map((p) => `${p.topic}[${p.partition}]`).join(", "),
    };
  }
  const list = typeof target === "string" ? [target] : target;
  if (!Array.isArray(list) || list.length === 0) {
    throw new SetupError("topics", "a subscriber needs a topic, a list of topics, a pattern or { partitions }");
  }
  const templated = list.filter((t) => typeof t === "string" && t.includes("{"));
  if (templated.length > 0) {
    if (list.length > 1) throw new SetupError("topics", "a {param} template must be the only topic of its subscriber");
    const template = prefix + (list[0] as string);
    const names = [...template.matchAll(PARAM_RE)].map((m) => m[1]);
    if (new Set(names).size !== names.length) {
      throw new SetupError("topics", `${JSON.stringify(template)} repeats a {parameter} name`);
    }
    const pattern = templateToRegex(template);
    checkTopicName(template.replace(PARAM_RE, "x"), "topics");
    return { subscription: { kind: "pattern", pattern }, params: pattern, label: template };
  }
  const topics = [...new Set(list.map((t) => checkTopicName(prefix + checkTopicName(t, "topics"), "topics")))];
  return { subscription: { kind: "topics", topics }, params: undefined, label: topics.join(", ") };
}

/** Extracts path parameters from a topic. */
export function extractParams(params: RegExp | undefined, topic: string): Record<string, string | undefined> {
  if (!params) return {};
  const m = params.exec(topic);
  return m?.groups ? { ...m.groups } : {};
}
