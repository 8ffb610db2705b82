// The schema of advanced_config.json: the single place where keys, types and defaults live.
// Strict objects everywhere: a typo is an error with its path, never silently ignored.
import { z } from "zod";
import { dollarAmount } from "./fields.ts";
import { riskSchema } from "./risk-schema.ts";
import { strategiesSchema } from "./strategies-schema.ts";

// Bounded: every series or event in scope costs requests each cycle, so a list of thousands is a
// mistake (a generated file, a wrong key), not a scope.
const tickerList = z.array(z.string().min(1).max(100)).max(1000).default([]);

export const exchangeSchema = z
  .strictObject({
    environment: z.enum(["sim", "demo", "production"]).default("sim"),
    base_url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("Override the REST base URL (…/trade-api/v2); the WebSocket URL is derived from it"),
    api_key_id: z.string().min(1).optional().describe("Kalshi API key id; env KALSHI_API_KEY_ID overrides"),
    private_key_path: z.string().min(1).optional().describe("PEM private key (0600); env KALSHI_PRIVATE_KEY_PATH overrides"),
    rate_tier: z.enum(["basic", "advanced", "premier", "paragon", "prime"]).default("basic"),
    request_timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
    use_legacy_host: z
      .boolean()
      .default(false)
      .describe("Use api.elections.kalshi.com / demo-api.kalshi.co instead of the dedicated hosts"),
    clock: z
      .enum(["running", "stepped"])
      .default("running")
      .describe(
        "running: the exchange's time runs between its messages (estimated on this machine's monotonic clock); stepped (environment sim only): a local exchange whose clock a harness steps, the exchange's time is the newest it sent and the daemon holds book moves until SIGUSR2",
      ),
  })
  .refine((e) => e.clock === "running" || e.environment === "sim", {
    path: ["clock"],
    message: '"stepped" is for a local exchange (environment "sim"): a real exchange\'s clock runs',
  })
  .prefault({});

export const simSchema = z
  .strictObject({
    seed: z.number().int().default(42),
    markets: z.number().int().min(1).max(10_000).default(40),
    balance_dollars: dollarAmount.default("1000"),
    speed: z.number().positive().max(10_000).default(1),
    scenario: z.string().min(1).optional().describe("Scenario JSON file for the embedded exchange"),
  })
  .prefault({});

export const tradingSchema = z
  .strictObject({
    dry_run: z.boolean().default(true),
    autonomous_mode: z.boolean().default(false),
    non_interactive: z.boolean().default(false),
    cycle_interval_seconds: z.number().int().min(1).max(86_400).default(60),
    series_tickers: tickerList,
    allowed_market_tickers: tickerList,
    allowed_event_tickers: tickerList,
    cancel_resting_on_kill_switch: z.boolean().default(true),
    cancel_on_exit: z
      .boolean()
      .default(true)
      .describe(
        "Cancel the bot's resting orders when it exits (SIGTERM/SIGINT, the end of --once, a fatal error); false leaves them resting on purpose (they still expire after order_ttl_seconds)",
      ),
    order_ttl_seconds: z
      .number()
      .int()
      .min(0)
      .max(86_400 * 30)
      .refine((n) => n === 0 || n >= 5, "expected 0 (no expiration) or at least 5 seconds")
      .optional()
      .describe(
        "Resting orders are sent with Kalshi's expiration_time = exchange time + this, and renewed while the bot runs, so nothing of a dead bot rests longer. 0: no expiration. Default: 60 in the daemon and for --once with cancel_on_exit; 3 cycle intervals (at least 60) for --once without it",
      ),
    reconcile_every_cycles: z.number().int().min(1).max(10_000).default(5),
    /** Daemon mode: WebSocket order books and own fills between cycles (REST remains the fallback). */
    websocket: z
      .boolean()
      .default(true)
      .describe("Daemon: live order books over the WebSocket, reacting between cycles; REST is the fallback"),
    decision_cache: z
      .enum(["on", "off", "verify"])
      .default("on")
      .describe(
        "Daemon with live books: cycle decisions re-test only the markets whose inputs changed (same intents, less CPU; REST-only cycles reload every view and decide over all of them); verify: decide both ways each cycle and log any difference",
      ),
    strategies: strategiesSchema,
  })
  .prefault({});

export const pathsSchema = z
  .strictObject({
    database: z.string().min(1).default("data/kalshi.sqlite"),
    backups_dir: z.string().min(1).default("backups"),
    reports_dir: z.string().min(1).default("reports"),
    lock_file: z.string().min(1).optional().describe("Default: /var/run/kalshi-bot.lock in production, /tmp/kalshi-bot.lock otherwise"),
    logs_dir: z.string().min(1).default("logs"),
    kill_switch_file: z
      .string()
      .min(1)
      .optional()
      .describe(
        "While this file exists trading is disabled, as with BOT_DISABLE_TRADING (kalshi-bot pause / resume). Default: disable-trading beside the database",
      ),
  })
  .prefault({});

export const backupSchema = z
  .strictObject({
    keep: z.number().int().min(1).max(10_000).default(14),
  })
  .prefault({});

// Only history rows age out (see pruneHistory in src/engine/ledger.ts); orders, fills, settlements
// and positions are the ledger's money and duplicate protection and are kept forever. 0 keeps
// everything; the upper bound only catches a unit mistake (milliseconds or seconds for days).
export const ledgerSchema = z
  .strictObject({
    history_days: z
      .number({ error: "expected a whole number of days, e.g. 180 (0 keeps history forever)" })
      .int({ error: "expected a whole number of days, e.g. 180 (0 keeps history forever)" })
      .min(0, { error: "expected 0 (keep history forever) or a number of days from 1 to 36500" })
      .max(36_500, { error: "expected 0 (keep history forever) or a number of days from 1 to 36500" })
      .default(180)
      .describe(
        "Days of history kept in the ledger (order events, audit log, balance snapshots, cycles); 0 keeps everything. Orders, fills, settlements and positions are never removed",
      ),
  })
  .prefault({});

export const watchdogSchema = z
  .strictObject({
    max_heartbeat_age_seconds: z.number().int().min(1).optional().describe("Default: cycle interval + 120 s"),
    min_bankroll_dollars: dollarAmount.default("0"),
    max_rss_mb: z
      .number({ error: "expected a whole number of MB, e.g. 320 (0 turns the check off)" })
      .int({ error: "expected a whole number of MB, e.g. 320 (0 turns the check off)" })
      .min(0, { error: "expected 0 (no memory check) or a number of MB" })
      .default(320)
      .describe(
        "Unhealthy when the bot's resident memory (the heartbeat's rss_bytes) is above this many MB (2^20 bytes, as systemd's M); 0 turns the check off. The default sits under the unit's MemoryHigh=384M, so the alert comes before systemd throttles or kills the bot",
      ),
    alert_webhook_url: z.url({ protocol: /^https?$/ }).optional(),
  })
  .prefault({});

export const loggingSchema = z
  .strictObject({
    level: z.enum(["error", "warn", "info", "debug", "trace"]).default("info"),
    format: z.enum(["auto", "pretty", "journald", "json"]).default("auto"),
  })
  .prefault({});

// Operator's view (src/notify, src/dashboard): both only read the ledger and the heartbeat, so a
// broken phone, webhook or browser can never hold up trading.
export const notifySchema = z
  .strictObject({
    telegram: z
      .strictObject({
        bot_token: z
          .string()
          .min(20)
          .optional()
          .describe("Telegram bot token from @BotFather; env KALSHI_BOT_TELEGRAM_TOKEN overrides. Never logged"),
        chat_id: z
          .union([z.string().min(1), z.number().int()])
          .transform(String)
          .optional()
          .describe("Chat the bot writes to; also the only chat whose commands it obeys"),
        commands: z
          .boolean()
          .default(false)
          .describe("Answer /status, /positions, /pnl, /pause, /resume from chat_id (long-polls getUpdates)"),
        api_base_url: z
          .url({ protocol: /^https?$/ })
          .default("https://api.telegram.org")
          .describe("Bot API base URL (a local Bot API server, or a test's fake)"),
      })
      .prefault({}),
    from: z
      .enum(["bot", "dashboard"])
      .default("bot")
      .describe(
        "Which process sends: the trading bot (default), or `kalshi-bot dashboard` (keeps every outbound request out of the trading process)",
      ),
    webhook_url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("POSTed {text, content} JSON: a Slack or Discord incoming webhook, or anything that reads it"),
    events: z
      .array(z.enum(["fills", "rejections", "risk", "pause", "drift", "start_stop", "daily_summary"]))
      .default(["fills", "rejections", "risk", "pause", "drift", "start_stop", "daily_summary"])
      .describe("Which events are sent"),
    fill_batch_seconds: z.number().int().min(1).max(3_600).default(5).describe("Fills are gathered this long into one message"),
    max_messages_per_minute: z
      .number()
      .int()
      .min(1)
      .max(60)
      .default(20)
      .describe("Beyond this, messages are dropped (and counted in the next one)"),
    timeout_ms: z
      .number()
      .int()
      .min(500)
      .max(60_000)
      .default(5_000)
      .describe("Bound of one delivery; a failure is logged, never retried past it"),
  })
  .prefault({});

export const dashboardSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe("Serve the dashboard and /metrics from the running bot (kalshi-bot dashboard serves them on its own)"),
    host: z.string().min(1).default("127.0.0.1").describe("Address to bind; anything but loopback needs token"),
    port: z.number().int().min(0).max(65_535).default(8787),
    token: z
      .string()
      .min(16)
      .optional()
      .describe("Required to bind beyond loopback: Authorization: Bearer TOKEN or ?token=TOKEN; env KALSHI_BOT_DASHBOARD_TOKEN overrides"),
  })
  .prefault({});

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  exchange: exchangeSchema,
  sim: simSchema,
  trading: tradingSchema,
  risk: riskSchema,
  paths: pathsSchema,
  backup: backupSchema,
  ledger: ledgerSchema,
  watchdog: watchdogSchema,
  logging: loggingSchema,
  notify: notifySchema,
  dashboard: dashboardSchema,
});

export type Config = z.output<typeof configSchema>;
