// When the daemon runs a full garbage collection (issue 14 goal 5: RSS at 10,000 markets <= 120 MB).
//
// JavaScriptCore collects lazily: it grows the heap before it collects. At 10,000 markets a daemon
// cycle leaves ~3 MB of garbage (frames, REST reads, reports) and the once-a-minute full load much
// more (page texts, their parsed objects, the new maps, the live overlay, REST depth), so with a
// collection every 5 s the RSS sawtoothed ~105 -> 118 MB between cycles and reached 135-150 MB at
// each full load. Now a collection comes once the heap's capacity grew 4 MB or the RSS 5 MB over
// their least since the last one (the page texts' characters live outside the heap's count: a full
// load raised the RSS by 12-22 MB and the heap's capacity by only 5-9), checked between cycles,
// between the pages of a full load and between a cycle's market-data steps (the live overlay and
// the REST depth after a full load left 4-5 MB each). It costs about the CPU of before (README,
// Benchmarks).
//
// Both are read from process.memoryUsage() (a few microseconds), not bun:jsc's heapSize(), which
// only moves at a collection.

/** Growth of the heap's capacity (bytes) over its least since the last collection that asks for the next. */
export const DEFAULT_HEAP_SLACK_BYTES = 4 * 1024 * 1024;
/**
 * Growth of the RSS (bytes) over its least since the last collection that asks for the next: what
 * grows outside the heap's count, a full load's page texts (strings' characters are allocated beside
 * the heap). 8 MB let a full load reach 124-130 MB.
 */
export const DEFAULT_RSS_SLACK_BYTES = 5 * 1024 * 1024;
/** A collection at least this often (monotonic ms) however little memory grew. */
export const DEFAULT_MAX_GAP_MS = 5_000;

export interface HeapCollectorOptions {
  heapSlackBytes?: number;
  rssSlackBytes?: number;
  maxGapMs?: number;
  /** Monotonic ms. */
  now: () => number;
}

export class HeapCollector {
  private readonly heapSlack: number;
  private readonly rssSlack: number;
  private readonly maxGap: number;
  private readonly now: () => number;
  /**
   * The least heap capacity and RSS seen since the last collection (0 before any: the first check
   * collects). Not the figures right after it: the allocator returns freed pages some time later,
   * and a base taken before that left the RSS 5 MB above its floor, so a full load grew that much
   * further before the next collection (a probe: 107.3 MB right after one, 102.6 MB a second later).
   */
  private baseHeap = 0;
  private baseRss = 0;
  private lastAt = Number.NEGATIVE_INFINITY;
  /** Collections run since start. */
  collections = 0;

  constructor(o: HeapCollectorOptions) {
    this.heapSlack = o.heapSlackBytes ?? DEFAULT_HEAP_SLACK_BYTES;
    this.rssSlack = o.rssSlackBytes ?? DEFAULT_RSS_SLACK_BYTES;
    this.maxGap = o.maxGapMs ?? DEFAULT_MAX_GAP_MS;
    this.now = o.now;
  }

  /** Whether a collection is due: the heap or the RSS grew past its slack over its least since the last one, or the longest gap has passed. */
  due(): boolean {
    const m = process.memoryUsage();
    this.baseHeap = Math.min(this.baseHeap, m.heapTotal);
    this.baseRss = Math.min(this.baseRss, m.rss);
    return (
      m.heapTotal - this.baseHeap >= this.heapSlack || m.rss - this.baseRss >= this.rssSlack || this.now() - this.lastAt >= this.maxGap
    );
  }

  /** Collects (synchronously, fully) when due; returns the milliseconds it took, or null when not due. */
  collectIfDue(): number | null {
    if (!this.due()) return null;
    const t0 = this.now();
    Bun.gc(true);
    this.lastAt = this.now();
    const m = process.memoryUsage();
    this.baseHeap = m.heapTotal;
    this.baseRss = m.rss;
    const ms = this.lastAt - t0;
    this.collections++;
    return ms;
  }
}
