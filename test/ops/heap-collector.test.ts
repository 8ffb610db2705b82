// The daemon's collection policy (src/ops/heap-collector.ts) on this process's real heap: a
// collection once the heap has grown by the slack since the last one, or once the longest gap has
// passed, and not otherwise. The clock is the test's own (a counter), so "time passed" is exact.
import { expect, test } from "bun:test";
import { HeapCollector } from "../../src/ops/heap-collector.ts";

const MB = 1024 * 1024;

/** Garbage: objects and strings made and dropped, about `mb` MB of heap. */
function makeGarbage(mb: number): number {
  let n = 0;
  for (let i = 0; i < mb * 10_000; i++) {
    const o = { i, s: `garbage-${i}-${"x".repeat(40)}`, a: [i, i + 1, i + 2] };
    n += o.a.length;
  }
  return n;
}

test("collects at the first check, then only once the heap grew by the slack", () => {
  let now = 0;
  const c = new HeapCollector({ heapSlackBytes: 8 * MB, rssSlackBytes: 1024 * MB, maxGapMs: 60_000, now: () => now });
  // Before any collection: due (nothing known about the heap yet).
  expect(c.collectIfDue()).not.toBeNull();
  expect(c.collections).toBe(1);
  // Nothing allocated to speak of, no time passed: not due.
  now += 10;
  expect(c.due()).toBe(false);
  expect(c.collectIfDue()).toBeNull();
  expect(c.collections).toBe(1);
  // Well past the slack in garbage (the heap grows before JavaScriptCore collects on its own, so
  // keep making it until the capacity shows it, bounded).
  const before = process.memoryUsage().heapTotal;
  for (let round = 0; round < 40 && !c.due(); round++) makeGarbage(16);
  expect(process.memoryUsage().heapTotal - before).toBeGreaterThanOrEqual(8 * MB);
  expect(c.due()).toBe(true);
  const ms = c.collectIfDue();
  expect(ms).not.toBeNull();
  expect(c.collections).toBe(2);
  // Right after, the base is the heap as the collection left it: not due again.
  expect(c.due()).toBe(false);
});

test("collects once the longest gap has passed, however little the heap grew", () => {
  let now = 1_000;
  const c = new HeapCollector({ heapSlackBytes: 512 * MB, rssSlackBytes: 512 * MB, maxGapMs: 5_000, now: () => now });
  expect(c.collectIfDue()).not.toBeNull();
  now += 4_999;
  expect(c.collectIfDue()).toBeNull();
  now += 1;
  expect(c.collectIfDue()).not.toBeNull();
  expect(c.collections).toBe(2);
});

test("collects once the RSS grew by its slack, memory the heap's capacity does not count (a full load's page texts)", () => {
  let now = 0;
  const c = new HeapCollector({ heapSlackBytes: 1024 * MB, rssSlackBytes: 16 * MB, maxGapMs: 60_000, now: () => now });
  expect(c.collectIfDue()).not.toBeNull();
  now += 10;
  expect(c.due()).toBe(false);
  // 48 MB outside the heap, written so that its pages are resident.
  const outside = Buffer.alloc(48 * MB, 1);
  expect(c.due()).toBe(true);
  expect(c.collectIfDue()).not.toBeNull();
  expect(outside[outside.length - 1]).toBe(1);
  expect(c.due()).toBe(false);
});

test("measures growth from the least RSS seen since the last collection, not the RSS right after it", () => {
  let now = 0;
  const c = new HeapCollector({ heapSlackBytes: 1024 * MB, rssSlackBytes: 16 * MB, maxGapMs: 60_000, now: () => now });
  // A collection while 48 MB outside the heap are resident: the RSS right after it is high.
  let big: Buffer | null = Buffer.alloc(48 * MB, 1);
  expect(c.collectIfDue()).not.toBeNull();
  const high = process.memoryUsage().rss;
  expect(big[big.length - 1]).toBe(1);
  // Dropped and freed by a collection the policy did not run (JavaScriptCore's own), the RSS falls.
  big = null;
  for (let i = 0; i < 20 && process.memoryUsage().rss > high - 32 * MB; i++) Bun.gc(true);
  expect(process.memoryUsage().rss).toBeLessThan(high - 32 * MB);
  now += 10;
  expect(c.due()).toBe(false);
  // 20 MB more than that floor, still below the RSS of the last collection: due.
  const grown = Buffer.alloc(20 * MB, 1);
  expect(process.memoryUsage().rss).toBeLessThan(high);
  expect(c.due()).toBe(true);
  expect(grown[0]).toBe(1);
});
