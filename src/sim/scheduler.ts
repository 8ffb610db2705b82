// A min-heap of things due at a sim time. Ties run in scheduling order, so a seed replays the
// same sequence whatever the tick cadence was.

interface Item {
  at: number;
  seq: number;
  run: (at: number) => void;
  cancelled: boolean;
}

export interface Scheduled {
  cancel(): void;
}

export class Scheduler {
  private heap: Item[] = [];
  private seq = 0;

  at(time: number, run: (at: number) => void): Scheduled {
    const item: Item = { at: time, seq: this.seq++, run, cancelled: false };
    this.push(item);
    return { cancel: () => void (item.cancelled = true) };
  }

  get size(): number {
    return this.heap.length;
  }

  nextTime(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Run everything due at or before `now`, including items scheduled while running. */
  runUntil(now: number, onItem?: (at: number) => void, onError?: (e: unknown) => void): number {
    let n = 0;
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > now) return n;
      this.pop();
      if (top.cancelled) continue;
      onItem?.(top.at);
      // One failing participant or lifecycle step must not stop the market clock for the rest.
      try {
        top.run(top.at);
      } catch (e) {
        if (!onError) throw e;
        onError(e);
      }
      n++;
    }
  }

  private less(a: Item, b: Item): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(x: Item): void {
    const h = this.heap;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
