import { describe, expect, it } from "vitest";
import { murmur2, partitionForKey } from "./murmur2.js";

/** Reference vectors from the Java client's `UtilsTest.testMurmur2`. */
const JAVA_VECTORS: [string, number][] = [
  ["21", -973932308],
  ["foobar", -790332482],
  ["a-little-bit-long-string", -985981536],
  ["a-little-bit-longer-string", -1486304829],
  ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
  ["abc", 479470107],
];

describe("murmur2", () => {
  it.each(JAVA_VECTORS)("matches the Java client for %j", (input, expected) => {
    expect(murmur2(Buffer.from(input, "utf8"))).toBe(expected);
  });

  it("returns a signed 32-bit integer", () => {
    for (const [input] of JAVA_VECTORS) {
      const h = murmur2(Buffer.from(input));
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBe(h | 0);
    }
  });

  it("is the same for a Buffer and a plain Uint8Array view of the same bytes", () => {
    const backing = new Uint8Array([0, ...Buffer.from("foobar"), 0]);
    expect(murmur2(backing.subarray(1, 7))).toBe(-790332482);
  });

  it("hashes every tail length differently (lengths 0..5)", () => {
    const hashes = ["", "a", "ab", "abc", "abcd", "abcde"].map((s) => murmur2(Buffer.from(s)));
    expect(new Set(hashes).size).toBe(hashes.length);
  });
});

describe("partitionForKey", () => {
  it("is (murmur2(key) & 0x7fffffff) % partitions", () => {
    for (const [input, hash] of JAVA_VECTORS) {
      for (const n of [1, 3, 6, 12, 100]) {
        expect(partitionForKey(input, n)).toBe((hash & 0x7fffffff) % n);
      }
    }
  });

  it("maps known keys to the partitions the Java partitioner picks", () => {
    // -973932308 & 0x7fffffff = 1173551340; -790332482 & 0x7fffffff = 1357151166
    expect(partitionForKey("21", 10)).toBe(1173551340 % 10);
    expect(partitionForKey("foobar", 7)).toBe(1357151166 % 7);
    expect(partitionForKey("abc", 4)).toBe(479470107 % 4);
  });

  it("never returns a negative partition for keys with a negative hash", () => {
    for (const [input, hash] of JAVA_VECTORS.filter(([, h]) => h < 0)) {
      expect(hash).toBeLessThan(0);
      const p = partitionForKey(input, 5);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(5);
    }
  });

  it("treats Buffer keys like their UTF-8 string", () => {
    for (const key of ["21", "foobar", "ключ-é", "🙂 emoji key"]) {
      expect(partitionForKey(Buffer.from(key, "utf8"), 12)).toBe(partitionForKey(key, 12));
      expect(partitionForKey(new TextEncoder().encode(key), 12)).toBe(partitionForKey(key, 12));
    }
  });

  it("puts everything on partition 0 of a single-partition topic", () => {
    expect(partitionForKey("anything", 1)).toBe(0);
  });
});
