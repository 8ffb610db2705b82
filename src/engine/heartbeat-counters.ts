// The client's own counts, as the heartbeat carries them to /metrics and the dashboard: the rate
// limiter's waits, tokens spent and the 429s it was told about (src/kalshi/rate-limit.ts), the
// WebSocket's reconnects and sequence gaps (src/kalshi/ws.ts). Read at each heartbeat write; nothing
// is counted twice.
import type { RateLimiter } from "../kalshi/rate-limit.ts";
import type { KalshiWs } from "../kalshi/ws.ts";
import type { HeartbeatCounters } from "../ops/heartbeat.ts";
import { monoNow } from "../ops/clock.ts";

/** The share of the budget is measured over at least this long (one cycle when cycles are longer). */
const USE_WINDOW_MS = 60_000;

interface Sample {
  atMs: number;
  read: number;
  write: number;
}

/**
 * Reads the counters at each heartbeat write and keeps the samples of the last minute, so that the
 * share of the exchange's budget the bot spends is measured over a minute (or the last cycle when
 * heartbeats are further apart) rather than since start, where a busy minute would vanish.
 */
export class HeartbeatCounterSampler {
  private samples: Sample[] = [];

  constructor(
    private readonly limiter: RateLimiter,
    private readonly ws: () => KalshiWs | null,
    private readonly now: () => number = monoNow,
  ) {}

  read(): HeartbeatCounters {
    const l = this.limiter;
    const ws = this.ws();
    const at = this.now();
    const cur: Sample = { atMs: at, read: l.stats.tokens.read, write: l.stats.tokens.write };
    // Keep the newest sample at least a window old as the base, and everything after it.
    while (this.samples.length > 1 && at - this.samples[1]!.atMs >= USE_WINDOW_MS) this.samples.shift();
    const base = this.samples[0];
    this.samples.push(cur);
    const readBudget = l.budgetPerSecond("read");
    const writeBudget = l.budgetPerSecond("write");
    const out: HeartbeatCounters = {
      rate_limit_waits: l.stats.waits,
      rate_limit_wait_seconds: Math.round(l.stats.waitedMs) / 1000,
      rate_limited_429: l.stats.rateLimited,
      ws_reconnects: ws?.stats.reconnects ?? 0,
      ws_seq_gaps: ws?.stats.gaps ?? 0,
      read_tokens: cur.read,
      write_tokens: cur.write,
      read_budget_per_second: readBudget,
      write_budget_per_second: writeBudget,
    };
    // Whole milliseconds, and the shares computed from that same span, so share × span × budget
    // gives back the tokens spent in the window.
    const span = base ? Math.round(at - base.atMs) / 1000 : 0;
    if (base && span >= 1) {
      out.read_use = share(cur.read - base.read, span, readBudget);
      out.write_use = share(cur.write - base.write, span, writeBudget);
      out.use_window_seconds = span;
    }
    return out;
  }
}

function share(tokens: number, seconds: number, budget: number): number {
  return budget > 0 ? tokens / (seconds * budget) : 0;
}
