// Delivery off the trading path: send() returns at once; each channel delivers its messages in
// order, one at a time, each bounded by a timeout. Duplicates (the same key within DEDUP_MS) are
// dropped, and beyond the per-minute budget messages are dropped and counted in the next one that
// goes out. A failed delivery is logged (one line, no secret) and not retried: a notification
// that comes late is worth less than a channel that never backs up.
import type { Channel } from "./channels.ts";

const DEDUP_MS = 10 * 60_000;

export interface OutboxOptions {
  timeoutMs: number;
  maxPerMinute: number;
  warn: (msg: string) => void;
  now?: () => number;
}

export class Outbox {
  private chains = new Map<Channel, Promise<void>>();
  private recentKeys = new Map<string, number>();
  private sentAt: number[] = [];
  private dropped = 0;
  private readonly stopAll = new AbortController();
  /** Deliveries that failed (for the log line's count). */
  failures = 0;

  constructor(
    private readonly channels: Channel[],
    private readonly o: OutboxOptions,
  ) {}

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /** Queue `text` for every channel; false when it was a duplicate or over the rate limit. */
  send(text: string, key?: string): boolean {
    const now = this.now();
    for (const [k, at] of this.recentKeys) if (now - at > DEDUP_MS) this.recentKeys.delete(k);
    if (key !== undefined) {
      if (this.recentKeys.has(key)) return false;
      this.recentKeys.set(key, now);
    }
    this.sentAt = this.sentAt.filter((t) => now - t < 60_000);
    if (this.sentAt.length >= this.o.maxPerMinute) {
      this.dropped++;
      return false;
    }
    this.sentAt.push(now);
    const body = this.dropped
      ? `${text}\n(${this.dropped} earlier notification(s) dropped: more than ${this.o.maxPerMinute} a minute)`
      : text;
    this.dropped = 0;
    for (const ch of this.channels) {
      const prev = this.chains.get(ch) ?? Promise.resolve();
      const next = prev.then(() => this.deliver(ch, body));
      this.chains.set(ch, next);
    }
    return true;
  }

  private async deliver(ch: Channel, text: string): Promise<void> {
    if (this.stopAll.signal.aborted) return;
    const signal = AbortSignal.any([AbortSignal.timeout(this.o.timeoutMs), this.stopAll.signal]);
    try {
      await ch.send(text, signal);
    } catch (e) {
      this.failures++;
      this.o.warn(`notification not delivered (${(e as Error).message}); trading is not affected`);
    }
  }

  /** Wait for queued deliveries, at most `ms`; then abandon the rest. */
  async flush(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const all = Promise.all([...this.chains.values()]).then(() => {});
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    this.stopAll.abort();
  }
}
