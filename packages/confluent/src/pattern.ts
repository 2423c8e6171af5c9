import { SetupError } from "@faststream/core";
/**
 * JavaScript RegExp -> librdkafka regex. librdkafka subscribes by regex when a topic string
 * starts with `^` and compiles it with POSIX extended regcomp where the platform has it (its
 * built-in engine elsewhere), so JavaScript-only syntax has to be rewritten into the subset both
 * engines share. Only whether a topic name matches matters, never what a group captured.
 */

const SHORTHANDS: Record<string, string> = { d: "0-9", w: "A-Za-z0-9_", s: " \t\n\r\f\v" };
const NEGATED: Record<string, string> = { D: "0-9", W: "A-Za-z0-9_", S: " \t\n\r\f\v" };
/** Characters a POSIX extended regex escapes with a backslash outside brackets. */
const SPECIAL = new Set([..."\\.[](){}*+?|^$"]);

function unsupported(pattern: RegExp, what: string): Error {
  return new SetupError(
    "topics",
    `pattern ${pattern} uses ${what}, which librdkafka's regex (confluent driver) cannot express`,
  );
}

/** Rewrites a bracket expression starting at `source[start] === "["`; returns it and the index after it. */
function bracket(pattern: RegExp, start: number): [string, number] {
  const source = pattern.source;
  let i = start + 1;
  const negate = source[i] === "^";
  if (negate) i++;
  const items: string[] = [];
  const literals = new Set<string>();
  while (i < source.length && source[i] !== "]") {
    const c = source[i]!;
    if (c !== "\\") {
      if (c === "]" || c === "^" || (c === "-" && (source[i + 1] === "]" || items.length === 0))) literals.add(c);
      else items.push(c);
      i++;
      continue;
    }
    const e = source[i + 1] ?? "";
    i += 2;
    if (SHORTHANDS[e] !== undefined) items.push(SHORTHANDS[e]!);
    else if (NEGATED[e] !== undefined || /[bBcupPkx0-9]/.test(e)) throw unsupported(pattern, `\\${e} in a class`);
    else if (e === "]" || e === "^" || e === "-" || e === "\\") literals.add(e);
    else items.push(e);
  }
  if (source[i] !== "]") throw unsupported(pattern, "an unterminated class");
  // POSIX: `]` must come first, `-` last, `^` anywhere but first; a backslash is literal.
  const body = [
    literals.has("]") ? "]" : "",
    ...items,
    literals.has("\\") ? "\\" : "",
    literals.has("^") ? "^" : "",
    literals.has("-") ? "-" : "",
  ].join("");
  if (body === "" || body === "^") throw unsupported(pattern, "an empty class or a class of only '^'");
  return [`[${negate ? "^" : ""}${body}]`, i + 1];
}

/**
 * Converts a JavaScript RegExp into a librdkafka subscription pattern that matches a topic
 * only when the whole name matches (`^(...)$`). Throws for flags and for syntax librdkafka
 * cannot express (lookaround, back-references, word boundaries, unicode escapes).
 */
export function toLibrdkafkaPattern(pattern: RegExp): string {
  const flags = pattern.flags.replace(/[dgy]/g, "");
  if (flags) throw unsupported(pattern, `the flags "${flags}"`);
  const source = pattern.source;
  let out = "";
  for (let i = 0; i < source.length; ) {
    const c = source[i]!;
    if (c === "[") {
      const [text, next] = bracket(pattern, i);
      out += text;
      i = next;
    } else if (c === "\\") {
      const e = source[i + 1] ?? "";
      i += 2;
      if (SHORTHANDS[e] !== undefined) out += `[${SHORTHANDS[e]!}]`;
      else if (NEGATED[e] !== undefined) out += `[^${NEGATED[e]!}]`;
      else if (/[bBcupPkx0-9]/.test(e)) throw unsupported(pattern, `\\${e}`);
      else out += SPECIAL.has(e) ? `\\${e}` : e;
    } else if (c === "(" && source[i + 1] === "?") {
      if (source[i + 2] === ":") i += 3;
      else if (source[i + 2] === "<" && source[i + 3] !== "=" && source[i + 3] !== "!") i = source.indexOf(">", i) + 1;
      else throw unsupported(pattern, "lookaround");
      out += "(";
    } else if ((c === "?" || c === "+" || c === "*" || c === "}") && source[i + 1] === "?") {
      // Lazy and greedy quantifiers match the same names.
      out += c;
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  return `^(${out})$`;
}
