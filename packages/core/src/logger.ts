/**
 * Logging. The {@link Logger} interface matches pino's `(fields, message)` call shape, so a
 * pino logger can be passed as is; the default is a console logger.
 */

/** Structured fields of a log line. Well-known keys: topic, partition, offset, group, messageId, err. */
export type LogFields = Record<string, unknown>;

/** Severity levels, lowest first. `silent` disables logging. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** A structured logger (pino-compatible). */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  /** Returns a logger that adds `bindings` to every line (pino's `child`). */
  child?(bindings: LogFields): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** True if `level` is a known level name. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && Object.hasOwn(ORDER, value);
}

function formatLocation(fields: LogFields): string {
  const topic = fields["topic"];
  if (topic === undefined) return "";
  let s = String(topic);
  if (fields["partition"] !== undefined) s += `[${String(fields["partition"])}]`;
  if (fields["offset"] !== undefined) s += `@${String(fields["offset"])}`;
  return s;
}

const SHOWN_INLINE = new Set(["topic", "partition", "offset", "err"]);

function formatError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

/** Options of {@link consoleLogger}. */
export interface ConsoleLoggerOptions {
  /** Lowest level written. Default `info`. */
  readonly level?: LogLevel;
  /** Where lines go. Default: `console.error` for warn/error, `console.log` otherwise. */
  readonly write?: (level: Exclude<LogLevel, "silent">, line: string) => void;
}

/**
 * A human-readable console logger: `time LEVEL topic[partition]@offset message key=value`.
 */
export function consoleLogger(options: ConsoleLoggerOptions = {}, bindings: LogFields = {}): Logger {
  const min = ORDER[options.level ?? "info"];
  const write =
    options.write ??
    ((level: string, line: string) =>
      level === "warn" || level === "error" ? console.error(line) : console.log(line));
  const log =
    (level: Exclude<LogLevel, "silent">) =>
    (fields: LogFields, message: string): void => {
      if (ORDER[level] < min) return;
      const all = { ...bindings, ...fields };
      const where = formatLocation(all);
      let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${where ? `${where} ` : ""}${message}`;
      for (const [k, v] of Object.entries(all)) {
        if (SHOWN_INLINE.has(k) || v === undefined) continue;
        line += ` ${k}=${typeof v === "string" ? v : JSON.stringify(v)}`;
      }
      if (all["err"] !== undefined) line += `\n${formatError(all["err"])}`;
      write(level, line);
    };
  return {
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    child: (more) => consoleLogger(options, { ...bindings, ...more }),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

/** Returns a child logger with `bindings`, emulating `child` for loggers without one. */
export function childLogger(logger: Logger, bindings: LogFields): Logger {
  if (logger.child) return logger.child(bindings);
  const wrap =
    (fn: (fields: LogFields, message: string) => void) =>
    (fields: LogFields, message: string): void =>
      fn.call(logger, { ...bindings, ...fields }, message);
  return {
    debug: wrap(logger.debug),
    info: wrap(logger.info),
    warn: wrap(logger.warn),
    error: wrap(logger.error),
    child: (more) => childLogger(logger, { ...bindings, ...more }),
  };
}
