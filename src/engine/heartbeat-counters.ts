// The client's own counts, as the heartbeat carries them to /metrics: the rate limiter's waits and
// the 429s it was told about (src/kalshi/rate-limit.ts), the WebSocket's reconnects and sequence
// gaps (src/kalshi/ws.ts). Read at each heartbeat write; nothing is counted twice.
import type { RateLimiter } from "../kalshi/rate-limit.ts";
import type { KalshiWs } from "../kalshi/ws.ts";
import type { HeartbeatCounters } from "../ops/heartbeat.ts";

export function heartbeatCountersOf(limiter: RateLimiter, ws: KalshiWs | null): HeartbeatCounters {
  return {
    rate_limit_waits: limiter.stats.waits,
    rate_limit_wait_seconds: Math.round(limiter.stats.waitedMs) / 1000,
    rate_limited_429: limiter.stats.rateLimited,
    ws_reconnects: ws?.stats.reconnects ?? 0,
    ws_seq_gaps: ws?.stats.gaps ?? 0,
  };
}
