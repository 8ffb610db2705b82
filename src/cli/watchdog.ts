// `kalshi-bot watchdog`: exit 0 and `healthy: …` when the bot is healthy, exit 6 and one line of
// reason otherwise (missing/unreadable/stale heartbeat, status not active, kill switch, low bankroll).
// Optionally POSTs the verdict to watchdog.alert_webhook_url. Takes no lock; safe from cron.
import { defineCommand } from "citty";
import { configArgs, guarded, lockArgs, UserError, EXIT } from "./shared.ts";
import { loadOrExplain } from "./config.ts";
import { judgeHeartbeat, postAlert, redactUrl } from "../ops/watchdog.ts";
import { log } from "../ops/log.ts";

export async function watchdogMain(args: Record<string, unknown>): Promise<number> {
  if (args.heartbeat === "") throw new UserError("--heartbeat needs a path, e.g. --heartbeat reports/heartbeat.json", EXIT.USAGE);
  const loaded = loadOrExplain(args as { config?: string; "lock-file"?: string }, { readOnly: true });
  const path = typeof args.heartbeat === "string" ? args.heartbeat : loaded.paths.heartbeat;
  let maxAge = loaded.config.watchdog.max_heartbeat_age_seconds;
  if (args["max-age"] !== undefined) {
    const n = Number(args["max-age"]);
    if (!Number.isInteger(n) || n < 1) throw new UserError(`--max-age must be a whole number of seconds (got "${String(args["max-age"])}")`, EXIT.USAGE);
    maxAge = n;
  }
  const verdict = judgeHeartbeat(path, {
    maxAgeSeconds: maxAge,
    fallbackIntervalSeconds: loaded.config.trading.cycle_interval_seconds,
    minBankrollDollars: loaded.config.watchdog.min_bankroll_dollars,
    lockFile: loaded.paths.lockFile,
  });
  const url = loaded.config.watchdog.alert_webhook_url;
  let alert: { sent: boolean; ok?: boolean; error?: string } = { sent: false };
  const wantAlert = args.alert !== false && url && (!verdict.healthy || args["alert-healthy"]);
  if (wantAlert) {
    const r = await postAlert(url, verdict);
    alert = { sent: true, ok: r.ok, error: r.error };
    if (!r.ok) log.warn(`alert webhook ${redactUrl(url)} failed (${r.error}); the verdict stands`);
  }
  if (args.json) {
    process.stdout.write(JSON.stringify({ ...verdict, alert }) + "\n");
  } else if (verdict.healthy) {
    process.stdout.write(`healthy: ${verdict.reason}\n`);
  } else {
    process.stderr.write(`unhealthy: ${verdict.reason}\n`);
  }
  return verdict.healthy ? EXIT.OK : EXIT.UNHEALTHY;
}

export default defineCommand({
  meta: { name: "watchdog", description: "Judge the running bot's health from its heartbeat: exit 0 healthy, 6 unhealthy with one line of reason" },
  args: {
    ...configArgs,
    ...lockArgs,
    json: { type: "boolean", description: "Print the verdict as one JSON object on stdout" },
    heartbeat: { type: "string", description: "Heartbeat file (default: <reports_dir>/heartbeat.json)", valueHint: "PATH" },
    "max-age": { type: "string", description: "Stale after this many seconds (default: watchdog.max_heartbeat_age_seconds, else cycle interval + 120)", valueHint: "SECONDS" },
    alert: { type: "boolean", default: true, description: "POST unhealthy verdicts to watchdog.alert_webhook_url (--no-alert to skip)" },
    "alert-healthy": { type: "boolean", description: "Also POST when healthy (to test the webhook)" },
  },
  run: guarded(async ({ args }) => watchdogMain(args)),
});
