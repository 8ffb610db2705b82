// reports/heartbeat.json: the running bot's health, rewritten atomically at the start and end of
// every cycle and read by `watchdog`, `status` and external monitors.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { writeFileAtomic } from "./atomic.ts";

export const heartbeatStatus = z.enum(["starting", "active", "disabled", "paused", "halted", "error", "stopped"]);
export type HeartbeatStatus = z.infer<typeof heartbeatStatus>;

const dollars = z.string().regex(/^-?\d+\.\d{2}$/);

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
  bankroll: z
    .object({ cash_dollars: dollars, portfolio_value_dollars: dollars, total_dollars: dollars })
    .nullable(),
  open_orders: z.number().int().min(0),
  last_error: z.string().nullable(),
  kill_switch: z.boolean(),
  rss_bytes: z.number().int().min(0),
  risk_state: z.enum(["active", "reducing", "halted"]).optional(),
  started_at: z.iso.datetime().optional(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

export function writeHeartbeat(path: string, hb: Heartbeat): void {
  writeFileAtomic(path, JSON.stringify(hb, null, 2) + "\n", 0o644);
}

export class HeartbeatError extends Error {
  override name = "HeartbeatError";
}

export function readHeartbeat(path: string): Heartbeat {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HeartbeatError(code === "ENOENT" ? `heartbeat ${path} is missing (is the bot running?)` : `heartbeat ${path} is unreadable (${code})`);
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
