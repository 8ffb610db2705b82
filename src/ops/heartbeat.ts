// reports/heartbeat.json: the running bot's health, rewritten atomically at the start and end of
// every cycle and read by `watchdog`, `status` and external monitors.
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "./atomic.ts";

// `degraded`: the daemon runs and retries, but the exchange is failing or not answering (a cycle
// failed for the exchange, or the running one is overdue); `error`: it needs the operator (the
// ledger disagrees with the exchange, a database or key problem, a bug).
export const heartbeatStatus = z.enum(["starting", "active", "degraded", "disabled", "paused", "halted", "error", "stopped"]);
export type HeartbeatStatus = z.infer<typeof heartbeatStatus>;

const dollars = z.string().regex(/^-?\d+\.\d{2}$/);

export const heartbeatCounters = z.object({
  rate_limit_waits: z.number().int().min(0),
  rate_limit_wait_seconds: z.number().min(0),
  rate_limited_429: z.number().int().min(0),
  ws_reconnects: z.number().int().min(0),
  ws_seq_gaps: z.number().int().min(0),
  // Rate-limit use (optional: heartbeats written before they existed still parse). Tokens spent from
  // each bucket since the bot started, the exchange's budget in tokens a second, and the share of
  // that budget spent over the last `use_window_seconds` (about a minute, or one cycle if longer).
  read_tokens: z.number().int().min(0).optional(),
  write_tokens: z.number().int().min(0).optional(),
  read_budget_per_second: z.number().min(0).optional(),
  write_budget_per_second: z.number().min(0).optional(),
  read_use: z.number().min(0).optional(),
  write_use: z.number().min(0).optional(),
  use_window_seconds: z.number().min(0).optional(),
});
export type HeartbeatCounters = z.infer<typeof heartbeatCounters>;

export const heartbeatSchema = z.looseObject({
  status: heartbeatStatus,
  updated_at: z.iso.datetime(),
  pid: z.number().int(),
  version: z.string(),
  mode: z.enum(["trade", "scan"]),
  environment: z.enum(["sim", "demo", "production"]),
  dry_run: z.boolean(),
  cycle: z.number().int().min(0),
  cycle_interval_seconds: z.number().int(),
  next_cycle_at: z.iso.datetime().nullable(),
  bankroll: z.object({ cash_dollars: dollars, portfolio_value_dollars: dollars, total_dollars: dollars }).nullable(),
  open_orders: z.number().int().min(0),
  last_error: z.string().nullable(),
  kill_switch: z.boolean(),
  rss_bytes: z.number().int().min(0),
  risk_state: z.enum(["active", "reducing", "halted"]).optional(),
  started_at: z.iso.datetime().optional(),
  /**
   * What became of the bot's resting orders when it exited (src/engine/shutdown.ts): `cancel`
   * (trading.cancel_on_exit) with how many were cancelled and how many could not be, or `keep`
   * with how many were left resting on purpose.
   */
  exit_orders: z
    .object({
      policy: z.enum(["cancel", "keep"]),
      canceled: z.number().int().min(0),
      not_canceled: z.number().int().min(0),
      kept: z.number().int().min(0),
      reason: z.string().nullable(),
    })
    .optional(),
  /**
   * Counts since the process started (a restart resets them, as Prometheus counters may): requests
   * the rate limiter held back and for how long, 429s from the exchange, WebSocket reconnects and
   * sequence gaps. Served by /metrics.
   */
  counters: heartbeatCounters.optional(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

export class HeartbeatError extends Error {
  override name = "HeartbeatError";
}

/**
 * Replace the heartbeat atomically (readers see the old file or the new one). On failure the old
 * heartbeat stays in place, no temp file is left, and the HeartbeatError names the cause and the fix.
 */
export function writeHeartbeat(path: string, hb: Heartbeat): void {
  try {
    writeFileAtomic(path, JSON.stringify(hb, null, 2) + "\n", 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    const dir = dirname(path);
    const fix =
      code === "ENOSPC" || code === "EDQUOT"
        ? `the disk holding ${dir} is full: free space there`
        : code === "EACCES" || code === "EPERM" || code === "EROFS"
          ? `${dir} is not writable by this user: fix its permissions or set paths.reports_dir`
          : code === "EEXIST" || code === "ENOTDIR"
            ? `a file stands where the folder ${dir} should be: move it away or set paths.reports_dir`
            : code === "EISDIR"
              ? `${path} is a folder: remove it`
              : `check ${dir} and paths.reports_dir`;
    throw new HeartbeatError(`cannot write the heartbeat ${path} (${code}); ${fix}`);
  }
}

export function readHeartbeat(path: string): Heartbeat {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HeartbeatError(
      code === "ENOENT" ? `heartbeat ${path} is missing (is the bot running?)` : `heartbeat ${path} is unreadable (${code})`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new HeartbeatError(`heartbeat ${path} is not valid JSON`);
  }
  const r = heartbeatSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new HeartbeatError(`heartbeat ${path} is malformed (${i.path.join(".") || "top level"}: ${i.message})`);
  }
  return r.data;
}
