// `kalshi-bot watchdog`: exit 0 and `healthy: …` when the bot is healthy, exit 6 and one line of
// reason otherwise (missing/unreadable/stale heartbeat, status not active, kill switch, low bankroll).
// Optionally POSTs the verdict to watchdog.alert_webhook_url: once when the bot becomes unhealthy (or
// its problem changes) and once when it recovers, never the same alert on every run; the memory of
// the last verdict is reports/watchdog-state.json (src/ops/watchdog-state.ts). --no-alert (manage.sh
// health) neither posts nor touches that memory. Takes no lock; safe from cron.
import { defineCommand } from "citty";
import { configArgs, guarded, lockArgs, UserError, EXIT } from "./shared.ts";
import { loadOrExplain } from "./config.ts";
import { hostname } from "node:os";
import { judgeHeartbeat, postAlert, redactUrl } from "../ops/watchdog.ts";
import { nextWatchdogState, readWatchdogState, statePathFor, writeWatchdogState, type WatchdogState } from "../ops/watchdog-state.ts";
import { log } from "../ops/log.ts";
import { COMMAND_META } from "./command-meta.ts";

export async function watchdogMain(args: Record<string, unknown>): Promise<number> {
  if (args.heartbeat === "") throw new UserError("--heartbeat needs a path, e.g. --heartbeat reports/heartbeat.json", EXIT.USAGE);
  const loaded = loadOrExplain(args as { config?: string; "lock-file"?: string }, { readOnly: true });
  const path = typeof args.heartbeat === "string" ? args.heartbeat : loaded.paths.heartbeat;
  let maxAge = loaded.config.watchdog.max_heartbeat_age_seconds;
  if (args["max-age"] !== undefined) {
    const n = Number(args["max-age"]);
    if (!Number.isInteger(n) || n < 1)
      throw new UserError(`--max-age must be a whole number of seconds (got "${String(args["max-age"])}")`, EXIT.USAGE);
    maxAge = n;
  }
  const verdict = judgeHeartbeat(path, {
    maxAgeSeconds: maxAge,
    fallbackIntervalSeconds: loaded.config.trading.cycle_interval_seconds,
    minBankrollDollars: loaded.config.watchdog.min_bankroll_dollars,
    maxRssMb: loaded.config.watchdog.max_rss_mb,
    lockFile: loaded.paths.lockFile,
  });
  const url = loaded.config.watchdog.alert_webhook_url;
  let state: WatchdogState | null = null;
  if (args.alert !== false) {
    const statePath = statePathFor(path);
    state = nextWatchdogState(readWatchdogState(statePath), verdict, hostname());
    try {
      writeWatchdogState(statePath, state);
    } catch (e) {
      log.warn(
        `cannot record the watchdog state in ${statePath} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); every unhealthy run will alert`,
      );
    }
  }
  let alert: { sent: boolean; ok?: boolean; error?: string } = { sent: false };
  const news = state !== null && (state.alert === "unhealthy" || state.alert === "recovered");
  if (url && (news || (args.alert !== false && args["alert-healthy"] && verdict.healthy))) {
    const r = await postAlert(url, verdict, undefined, state?.message || undefined);
    alert = { sent: true, ok: r.ok, error: r.error };
    if (!r.ok) log.warn(`alert webhook ${redactUrl(url)} failed (${r.error}); the verdict stands`);
  }
  if (args.json) {
    process.stdout.write(JSON.stringify({ ...verdict, alert, alert_event: state?.alert ?? null }) + "\n");
  } else if (verdict.healthy) {
    process.stdout.write(
      state?.alert === "recovered" ? `healthy (recovered; ${state.message}): ${verdict.reason}\n` : `healthy: ${verdict.reason}\n`,
    );
  } else if (state?.alert === "repeat") {
    process.stderr.write(`unhealthy (unchanged since ${state.since}, alerted then): ${verdict.reason}\n`);
  } else {
    process.stderr.write(`unhealthy: ${verdict.reason}\n`);
  }
  return verdict.healthy ? EXIT.OK : EXIT.UNHEALTHY;
}

export default defineCommand({
  meta: COMMAND_META.watchdog,
  args: {
    ...configArgs,
    ...lockArgs,
    json: { type: "boolean", description: "Print the verdict as one JSON object on stdout" },
    heartbeat: { type: "string", description: "Heartbeat file (default: <reports_dir>/heartbeat.json)", valueHint: "PATH" },
    "max-age": {
      type: "string",
      description: "Stale after this many seconds (default: watchdog.max_heartbeat_age_seconds, else cycle interval + 120)",
      valueHint: "SECONDS",
    },
    alert: {
      type: "boolean",
      default: true,
      description:
        "POST to watchdog.alert_webhook_url when the bot becomes unhealthy and when it recovers, and remember the verdict (--no-alert: neither)",
    },
    "alert-healthy": { type: "boolean", description: "Also POST when healthy (to test the webhook)" },
  },
  run: guarded(async ({ args }) => watchdogMain(args)),
});
