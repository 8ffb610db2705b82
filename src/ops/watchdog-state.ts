// The watchdog's memory between runs, so that an unattended operator gets one alert per change of
// health and one when it recovers, not the same alert every five minutes. Kept beside the
// heartbeat (the state directory in a deployment) as watchdog-state.json; the alert unit's script
// (deploy/systemd/kalshi-bot-alert.sh) reads `alert` and `message` from it to decide whether a
// failed watchdog run is news.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "./atomic.ts";
import type { Verdict } from "./watchdog.ts";

/** What this run should tell the operator: a new or changed problem, the same problem again, a recovery, or nothing. */
export const ALERT_EVENTS = ["unhealthy", "repeat", "recovered", "none"] as const;

export const watchdogStateSchema = z.object({
  healthy: z.boolean(),
  /** The problem's kind (see problemKind): a change of kind is a new alert, the same kind is not. */
  problem: z.string().nullable(),
  reason: z.string(),
  /** When the current state (healthy, or this problem) began. */
  since: z.string(),
  checked_at: z.string(),
  alert: z.enum(ALERT_EVENTS),
  /** The one-line message of this run's alert ("" when alert is repeat or none). */
  message: z.string(),
});
export type WatchdogState = z.infer<typeof watchdogStateSchema>;

export function statePathFor(heartbeatPath: string): string {
  return join(dirname(heartbeatPath), "watchdog-state.json");
}

/**
 * The kind of problem, for "is this news?". A bot that dies is first `not_running` (its heartbeat
 * is still fresh) and later `stale`: one problem, one alert.
 */
export function problemKind(v: Verdict): string | null {
  if (v.healthy) return null;
  // A bot still starting after it was down is the same problem, not a new one.
  return v.code === "stale" || v.code === "not_running" || (v.code === "status" && v.status === "starting") ? "down" : v.code;
}

/** The previous state, or null when there is none or it cannot be read (then this run counts as the first). */
export function readWatchdogState(path: string): WatchdogState | null {
  if (!existsSync(path)) return null;
  try {
    const r = watchdogStateSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

export function writeWatchdogState(path: string, s: WatchdogState): void {
  // One key per line: the alert script reads it with sed, without a JSON parser.
  writeFileAtomic(path, JSON.stringify(s, null, 2) + "\n", 0o600);
}

function minutesBetween(fromIso: string, toIso: string): string {
  const s = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** This run's state and alert, from the previous state and the verdict. */
export function nextWatchdogState(prev: WatchdogState | null, v: Verdict, host: string): WatchdogState {
  const problem = problemKind(v);
  const now = v.checked_at;
  if (problem !== null) {
    const same = prev !== null && !prev.healthy && prev.problem === problem;
    return {
      healthy: false,
      problem,
      reason: v.reason,
      since: same ? prev.since : now,
      checked_at: now,
      alert: same ? "repeat" : "unhealthy",
      message: same ? "" : `kalshi-bot on ${host}: UNHEALTHY: ${v.reason}`,
    };
  }
  const recovered = prev !== null && !prev.healthy;
  return {
    healthy: true,
    problem: null,
    reason: v.reason,
    since: recovered || prev === null ? now : prev.since,
    checked_at: now,
    alert: recovered ? "recovered" : "none",
    message: recovered
      ? `kalshi-bot on ${host}: recovered after ${minutesBetween(prev.since, now)} (was: ${prev.reason}); now ${v.reason}`
      : "",
  };
}
