/** Aggregation (median, min-max) and the markdown table of a bench run. */
import type { Scenario } from "./protocol.js";
import type { Variant } from "./variants.js";

/** One measured value of one run. */
export interface Sample {
  readonly scenario: string;
  readonly variant: string;
  readonly run: number;
  /** msgs/s (pipeline, consume, publish), p50 ms (request), peak MB (rss). */
  readonly value: number;
  /** request: p99 ms. */
  readonly extra?: number;
  /** pipeline, consume, publish: the app process's CPU per message in µs (all its threads). */
  readonly cpuUs?: number;
}

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
  readonly extraMedian?: number;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function summarize(samples: readonly Sample[]): Summary | undefined {
  if (samples.length === 0) return undefined;
  const values = samples.map((s) => s.value);
  const extras = samples.flatMap((s) => (s.extra === undefined ? [] : [s.extra]));
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    runs: values.length,
    ...(extras.length ? { extraMedian: median(extras) } : {}),
  };
}

/** Scenario rows as the table shows them ("rss@200000" style keys included). */
export const UNITS: Record<Scenario, string> = {
  pipeline: "msgs/s",
  consume: "msgs/s",
  publish: "msgs/s",
  request: "p50 ms (p99)",
  rss: "peak RSS MB",
};

const fmt = (n: number, unit: string): string =>
  unit === "msgs/s" ? Math.round(n).toLocaleString("en-US") : n.toFixed(unit.startsWith("peak") ? 0 : 2);

/** The results table: one row per scenario key, one column per variant, median (min-max). */
export function table(samples: readonly Sample[], variants: readonly Variant[]): string {
  const keys = [...new Set(samples.map((s) => s.scenario))];
  const head = `| scenario | ${variants.map((v) => v.name).join(" | ")} |`;
  const sep = `|---|${variants.map(() => "---:").join("|")}|`;
  const rows = keys.map((key) => {
    const unit = UNITS[key.split("@")[0] as Scenario];
    const cells = variants.map((v) => {
      const s = summarize(samples.filter((x) => x.scenario === key && x.variant === v.name));
      if (!s) return "–";
      const extra = s.extraMedian !== undefined ? ` (p99 ${fmt(s.extraMedian, unit)})` : "";
      return `${fmt(s.median, unit)}${extra}<br>${fmt(s.min, unit)}–${fmt(s.max, unit)}`;
    });
    return `| ${key} (${unit}) | ${cells.join(" | ")} |`;
  });
  return [head, sep, ...rows].join("\n");
}

/**
 * The raw contender a framework contender is compared with: the fastest (median) of the raw
 * contenders of its client in scenario `key`, with that median.
 */
function bestRaw(
  samples: readonly Sample[],
  variants: readonly Variant[],
  key: string,
  client: Variant["client"],
): { name: string; m: number } | undefined {
  return variants
    .filter((v) => v.kind === "raw" && v.client === client)
    .map((v) => ({
      name: v.name,
      m: summarize(samples.filter((x) => x.scenario === key && x.variant === v.name))?.median,
    }))
    .filter((r): r is { name: string; m: number } => r.m !== undefined)
    .sort((a, b) => b.m - a.m)[0];
}

/** Median and range of a list of figures ("–" when empty). */
function spread(values: readonly number[], digits: number): string {
  if (values.length === 0) return "–";
  return `${median(values).toFixed(digits)}<br>${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
}

/**
 * CPU per message: one row per throughput scenario, the app process's CPU (all threads) in µs
 * per message, median (min–max); then, per framework contender, the same figure beside the best
 * raw contender of its client (best by throughput, as in the ratio table): the difference is what
 * the framework's process spends more per message, and the cores each kept busy. It tells where a
 * throughput gap goes (the contender's own CPU, or waiting); on a shared machine it spreads about
 * as much as throughput.
 */
export function cpuTable(samples: readonly Sample[], variants: readonly Variant[]): string {
  const timed = samples.filter((s) => s.cpuUs !== undefined);
  const keys = [...new Set(timed.map((s) => s.scenario))];
  if (keys.length === 0) return "";
  const cpus = (key: string, name: string): number[] =>
    timed.filter((s) => s.scenario === key && s.variant === name).map((s) => s.cpuUs as number);
  const head = `| CPU µs/message | ${variants.map((v) => v.name).join(" | ")} |`;
  const sep = `|---|${variants.map(() => "---:").join("|")}|`;
  const rows = keys.map((key) => `| ${key} | ${variants.map((v) => spread(cpus(key, v.name), 2)).join(" | ")} |`);
  const lines = [
    head,
    sep,
    ...rows,
    "",
    "| scenario | framework | its CPU µs/msg | best raw | its CPU µs/msg | framework − raw | raw / framework | cores busy: framework / raw |",
    "|---|---|---:|---|---:|---:|---:|---:|",
  ];
  // Cores kept busy in a run: msgs/s × CPU s per message. Alike for two contenders, their
  // throughput ratio is their CPU ratio: both are bound by the CPU the machine gives them.
  const cores = (key: string, name: string): number =>
    median(
      timed.filter((s) => s.scenario === key && s.variant === name).map((s) => (s.value * (s.cpuUs as number)) / 1e6),
    );
  for (const key of keys) {
    for (const fw of variants.filter((v) => v.kind === "framework")) {
      const mine = cpus(key, fw.name);
      const best = bestRaw(samples, variants, key, fw.client);
      const theirs = best ? cpus(key, best.name) : [];
      if (mine.length === 0 || !best || theirs.length === 0) continue;
      const a = median(mine);
      const b = median(theirs);
      lines.push(
        `| ${key} | ${fw.name} | ${a.toFixed(2)} | ${best.name} | ${b.toFixed(2)} | ${(a - b).toFixed(2)} | ${(b / a).toFixed(2)} | ${cores(key, fw.name).toFixed(2)} / ${cores(key, best.name).toFixed(2)} |`,
      );
    }
  }
  return lines.join("\n");
}

/**
 * Ratios of the same run: for every run both contenders completed, `a`'s value over `b`'s; their
 * median and range. Contenders of one run ran in the same round, so drift of the machine
 * between rounds cancels out of these (not the drift within a round).
 */
export function perRunRatios(
  samples: readonly Sample[],
  key: string,
  a: string,
  b: string,
): { median: number; min: number; max: number; runs: number } | undefined {
  const byRun = new Map<number, number>();
  for (const s of samples) if (s.scenario === key && s.variant === b) byRun.set(s.run, s.value);
  const list: number[] = [];
  for (const s of samples) {
    const other = s.scenario === key && s.variant === a ? byRun.get(s.run) : undefined;
    if (other !== undefined && other > 0) list.push(s.value / other);
  }
  if (list.length === 0) return undefined;
  return { median: median(list), min: Math.min(...list), max: Math.max(...list), runs: list.length };
}

/**
 * Ratios of medians: framework / best raw of the same client (and the median of the same
 * ratio taken run by run, see {@link perRunRatios}), framework / the same client's raw
 * contender writing the framework's headers (not for a framework run with minimal headers),
 * framework with minimal headers / the same client's raw contender awaiting a promise per record
 * (the API shape of `broker.publish`), and framework / NestJS.
 */
export function ratios(samples: readonly Sample[], variants: readonly Variant[]): string {
  const med = (key: string, name: string) =>
    summarize(samples.filter((x) => x.scenario === key && x.variant === name))?.median;
  const keys = [...new Set(samples.map((s) => s.scenario))].filter((k) =>
    ["pipeline", "consume", "publish"].includes(k),
  );
  const lines = [
    "| scenario | framework | framework / best raw (same client) | same, run by run: median (min–max) | framework / raw with its headers | framework / raw awaiting each record | framework / NestJS |",
    "|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const key of keys) {
    for (const fw of variants.filter((v) => v.kind === "framework")) {
      const mine = med(key, fw.name);
      if (mine === undefined) continue;
      const nest = variants.filter((v) => v.kind === "nestjs").map((v) => med(key, v.name))[0];
      const best = bestRaw(samples, variants, key, fw.client);
      const raw = best ? `${(mine / best.m).toFixed(2)} (vs ${best.name})` : "–";
      const paired = best ? perRunRatios(samples, key, fw.name, best.name) : undefined;
      const byRun = paired ? `${paired.median.toFixed(2)} (${paired.min.toFixed(2)}–${paired.max.toFixed(2)})` : "–";
      // Minimal headers: the headerless raw contender of column 1 is the like-for-like one.
      const same = variants
        .filter((v) => !fw.minimalHeaders && v.kind === "raw-headers" && v.client === fw.client)
        .map((v) => ({ name: v.name, m: med(key, v.name) }))
        .find((r): r is { name: string; m: number } => r.m !== undefined);
      const vsSame = same ? `${(mine / same.m).toFixed(2)} (vs ${same.name})` : "–";
      // Awaited raw records carry no headers: like for like with minimal headers only (and
      // publishes that are awaited: not with noConfirm).
      const awaited = variants
        .filter((v) => fw.minimalHeaders && !fw.noConfirm && v.kind === "raw-awaited" && v.client === fw.client)
        .map((v) => ({ name: v.name, m: med(key, v.name) }))
        .find((r): r is { name: string; m: number } => r.m !== undefined);
      const vsAwaited = awaited ? `${(mine / awaited.m).toFixed(2)} (vs ${awaited.name})` : "–";
      const vsNest = nest ? `${(mine / nest).toFixed(2)}` : "–";
      lines.push(`| ${key} | ${fw.name} | ${raw} | ${byRun} | ${vsSame} | ${vsAwaited} | ${vsNest} |`);
    }
  }
  return lines.join("\n");
}
