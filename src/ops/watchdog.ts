// The watchdog's verdict on the running bot, from reports/heartbeat.json (no database, and the
// lock only probed, never taken): healthy only when the heartbeat is readable, fresh, says
// `active`, the bot is still running, its resident memory is within watchdog.max_rss_mb (memory
// creep in runs lasting weeks, caught before systemd's MemoryHigh/MemoryMax throttle or kill it),
// and the bankroll is at or above watchdog.min_bankroll_dollars.
// Money is compared as integer micros, never floats.
//
// "Still running": a heartbeat written by a process that has exited (a `--once` run, a `kill -9`)
// stays fresh for up to interval + 120 s. When the lock file is known, the bot counts as gone only
// if BOTH its PID has exited AND nobody holds the lock (the lock also works across PID namespaces,
// where the PID alone could mislead).
import { hostname } from "node:os";
import { readHeartbeat, HeartbeatError, type Heartbeat } from "./heartbeat.ts";
import { formatDollars2, parseDollars } from "../kalshi/money.ts";
import { isLockHeld } from "./lock.ts";
import { pidAlive } from "./proc.ts";

export const STALE_BUFFER_SECONDS = 120;

export type VerdictCode =
  | "ok"
  | "missing"
  | "unreadable"
  | "stale"
  | "future"
  | "not_running"
  | "status"
  | "degraded"
  | "disabled"
  | "memory"
  | "bankroll_unknown"
  | "low_bankroll";

export interface Verdict {
  healthy: boolean;
  code: VerdictCode;
  /** One line: what is wrong (or what is right), for cron mail, journald and the webhook. */
  reason: string;
  heartbeat_path: string;
  checked_at: string;
  age_seconds: number | null;
  max_age_seconds: number | null;
  status: Heartbeat["status"] | null;
  pid: number | null;
  cycle: number | null;
  bankroll_total_dollars: string | null;
  min_bankroll_dollars: string;
  rss_bytes: number | null;
  /** watchdog.max_rss_mb (0: no memory check). */
  max_rss_mb: number;
}

export interface JudgeOptions {
  /** watchdog.max_heartbeat_age_seconds; default: the heartbeat's cycle interval (else fallbackInterval) + 120 s. */
  maxAgeSeconds?: number;
  /** trading.cycle_interval_seconds, used when the heartbeat itself cannot say. */
  fallbackIntervalSeconds: number;
  /** watchdog.min_bankroll_dollars as a decimal string. */
  minBankrollDollars: string;
  /** watchdog.max_rss_mb: the most resident memory a healthy bot has, in MB of 2^20 bytes; 0 or absent: no check. */
  maxRssMb?: number;
  /** The bot's lock file (paths.lock_file / --lock-file); enables the "not running" verdict. */
  lockFile?: string;
  now?: Date;
}

const CLOCK_SKEW_SECONDS = 60;
const MIB = 1024 * 1024;
/** Statuses written by a process that keeps running (halted, stopped and a failed --once exit). */
const CLAIMS_RUNNING = new Set<Heartbeat["status"]>(["active", "degraded", "disabled", "paused", "starting"]);

export function judgeHeartbeat(path: string, opts: JudgeOptions): Verdict {
  const now = opts.now ?? new Date();
  const minMicros = parseDollars(opts.minBankrollDollars, "watchdog.min_bankroll_dollars");
  const base: Verdict = {
    healthy: false,
    code: "unreadable",
    reason: "",
    heartbeat_path: path,
    checked_at: now.toISOString(),
    age_seconds: null,
    max_age_seconds: opts.maxAgeSeconds ?? null,
    status: null,
    pid: null,
    cycle: null,
    bankroll_total_dollars: null,
    min_bankroll_dollars: formatDollars2(minMicros),
    rss_bytes: null,
    max_rss_mb: opts.maxRssMb ?? 0,
  };
  let hb: Heartbeat;
  try {
    hb = readHeartbeat(path);
  } catch (e) {
    const msg = e instanceof HeartbeatError ? e.message : (e as Error).message;
    return { ...base, code: /missing/.test(msg) ? "missing" : "unreadable", reason: msg };
  }
  const maxAge =
    opts.maxAgeSeconds ?? (hb.cycle_interval_seconds > 0 ? hb.cycle_interval_seconds : opts.fallbackIntervalSeconds) + STALE_BUFFER_SECONDS;
  const age = Math.floor((now.getTime() - Date.parse(hb.updated_at)) / 1000);
  const total = hb.bankroll?.total_dollars ?? null;
  const v: Verdict = {
    ...base,
    age_seconds: age,
    max_age_seconds: maxAge,
    status: hb.status,
    pid: hb.pid,
    cycle: hb.cycle,
    bankroll_total_dollars: total,
    rss_bytes: hb.rss_bytes,
  };
  if (age > maxAge) {
    return {
      ...v,
      code: "stale",
      reason: `heartbeat is stale: last update ${fmtAge(age)} ago at ${hb.updated_at} (max ${maxAge}s); the bot (PID ${hb.pid}) is hung or stopped`,
    };
  }
  if (age < -CLOCK_SKEW_SECONDS) {
    return { ...v, code: "future", reason: `heartbeat is dated ${fmtAge(-age)} in the future (${hb.updated_at}); check the system clock` };
  }
  if (opts.lockFile && CLAIMS_RUNNING.has(hb.status) && !pidAlive(hb.pid) && !isLockHeld(opts.lockFile)) {
    const said = `heartbeat said ${hb.status}${hb.last_error ? ` (${hb.last_error})` : ""} ${fmtAge(Math.max(0, age))} ago`;
    return {
      ...v,
      code: "not_running",
      reason: `the bot is not running: PID ${hb.pid} has exited and nobody holds the lock ${opts.lockFile}; ${said}. Start it (manage.sh start) or read its logs`,
    };
  }
  if (hb.status === "disabled") {
    return {
      ...v,
      code: "disabled",
      reason: `trading is disabled by the kill switch (BOT_DISABLE_TRADING or kalshi-bot pause); status disabled, PID ${hb.pid}`,
    };
  }
  if (hb.status === "degraded") {
    return {
      ...v,
      code: "degraded",
      reason: `degraded: the exchange is failing or not answering (${hb.last_error ?? "no detail"}); the bot (PID ${hb.pid}) keeps retrying`,
    };
  }
  if (hb.status !== "active") {
    const why = hb.last_error ? `: ${hb.last_error}` : "";
    return { ...v, code: "status", reason: `bot status is ${hb.status}, not active${why} (PID ${hb.pid})` };
  }
  const maxRss = opts.maxRssMb ?? 0;
  if (maxRss > 0 && hb.rss_bytes > maxRss * MIB) {
    return {
      ...v,
      code: "memory",
      reason: `memory: the bot's resident memory is ${Math.round(hb.rss_bytes / MIB)} MB, above ${maxRss} MB (watchdog.max_rss_mb; PID ${hb.pid}); it keeps trading, but under systemd it is throttled at MemoryHigh and killed at MemoryMax: restart it at a quiet moment (manage.sh restart) and report the figure`,
    };
  }
  if (minMicros > 0) {
    if (total === null)
      return {
        ...v,
        code: "bankroll_unknown",
        reason: `bankroll unknown (no bankroll in the heartbeat), minimum is $${formatDollars2(minMicros)}`,
      };
    let totalMicros: number;
    try {
      totalMicros = parseDollars(total, "bankroll.total_dollars");
    } catch {
      return { ...v, code: "unreadable", reason: `heartbeat ${path} has an unreadable bankroll total "${total}"` };
    }
    if (totalMicros < minMicros) {
      return {
        ...v,
        code: "low_bankroll",
        reason: `bankroll $${total} is below the minimum $${formatDollars2(minMicros)} (watchdog.min_bankroll_dollars)`,
      };
    }
  }
  return {
    ...v,
    healthy: true,
    code: "ok",
    reason: `active, cycle ${hb.cycle}, heartbeat ${fmtAge(Math.max(0, age))} old (max ${maxAge}s), bankroll ${total !== null ? `$${total}` : "unknown"}${minMicros > 0 ? ` (min $${formatDollars2(minMicros)})` : ""}, PID ${hb.pid}${hb.dry_run ? ", dry-run" : ""}`,
  };
}

function fmtAge(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** The webhook URL as it may appear in logs: scheme and host only (webhook paths carry tokens). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return "(invalid URL)";
  }
}

export interface AlertResult {
  ok: boolean;
  status?: number;
  error?: string;
}

/**
 * POST the verdict as JSON. Slack/Mattermost-compatible (`text`, default: the verdict's line) plus
 * the structured fields.
 * Never throws; a failure is returned for the caller to report.
 */
export async function postAlert(url: string, verdict: Verdict, timeoutMs = 5_000, text?: string): Promise<AlertResult> {
  const body = {
    text: text ?? `kalshi-bot on ${hostname()}: ${verdict.healthy ? "healthy" : "UNHEALTHY"}: ${verdict.reason}`,
    host: hostname(),
    ...verdict,
  };
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "kalshi-bot-watchdog" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) return { ok: false, status: res.status, error: `HTTP ${res.status}` };
    return { ok: true, status: res.status };
  } catch (e) {
    const err = e as Error & { code?: string };
    const what = err.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (err.code ?? err.message);
    return { ok: false, error: what };
  }
}
