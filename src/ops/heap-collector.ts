// When the daemon runs a full garbage collection (issue 14 goal 5: RSS at 10,000 markets <= 120 MB).
//
// JavaScriptCore collects lazily: it grows the heap before it collects. At 10,000 markets a daemon
// cycle leaves ~3 MB of garbage (frames, REST reads, reports) and the once-a-minute full load ~50 MB
// (page texts, their parsed objects, the new maps), so with a collection every 5 s the RSS
// sawtoothed ~105 -> 118 MB between cycles and reached 135-150 MB at each full load. Collecting
// whenever the heap has grown `slackBytes` since the last collection (checked between cycles and
// between the pages of a full load) bounds both, at about the same CPU as before: 4 minutes at
// 10,000 markets, sampled each second, max 112.7-115.7 MB against 144.5 (README, Benchmarks).
//
// The check is process.memoryUsage().heapTotal (the heap's capacity; a few microseconds), not
// bun:jsc's heapSize(), which only moves at a collection.

/** Heap growth (bytes) since the last collection that asks for the next. */
export const DEFAULT_SLACK_BYTES = 4 * 1024 * 1024;
/** A collection at least this often (monotonic ms) however little the heap grew: it also frees buffers outside it. */
export const DEFAULT_MAX_GAP_MS = 5_000;

export interface HeapCollectorOptions {
  slackBytes?: number;
  maxGapMs?: number;
  /** Monotonic ms. */
  now: () => number;
}

export class HeapCollector {
  private readonly slack: number;
  private readonly maxGap: number;
  private readonly now: () => number;
  /** The heap's capacity right after the last collection (0 before any: the first check collects). */
  private base = 0;
  private lastAt = Number.NEGATIVE_INFINITY;
  /** Collections run, and their time (ms), since start. */
  collections = 0;
  totalMs = 0;

  constructor(o: HeapCollectorOptions) {
    this.slack = o.slackBytes ?? DEFAULT_SLACK_BYTES;
    this.maxGap = o.maxGapMs ?? DEFAULT_MAX_GAP_MS;
    this.now = o.now;
  }

  /** Whether a collection is due: the heap grew past the slack, or the longest gap has passed. */
  due(): boolean {
    return process.memoryUsage().heapTotal - this.base >= this.slack || this.now() - this.lastAt >= this.maxGap;
  }

  /** Collects (synchronously, fully) when due; returns the milliseconds it took, or null when not due. */
  collectIfDue(): number | null {
    if (!this.due()) return null;
    const t0 = this.now();
    Bun.gc(true);
    this.lastAt = this.now();
    this.base = process.memoryUsage().heapTotal;
    const ms = this.lastAt - t0;
    this.collections++;
    this.totalMs += ms;
    return ms;
  }
}
