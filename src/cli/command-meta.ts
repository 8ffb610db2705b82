// Each command's name and one-line description, in one place: the command's own `--help` shows it,
// and the root's `--help` lists them all without loading a single command module (loading them all,
// engine and exchange included, made `--help` 3-4x a compiled hello-world's start-up; issue 14 goal 4).
export const COMMAND_META = {
  run: { name: "run", description: "Run the bot: a daemon of trading cycles, or one cycle with --once" },
  backup: { name: "backup", description: "Write a verified, timestamped backup of the database (safe while the bot runs)" },
  restore: {
    name: "restore",
    description: "Restore the database from a verified backup (replaces restore_db.sh); refuses while the bot runs",
  },
  verify: { name: "verify", description: "Check everything a live run needs (same as --verify-config); lists every problem at once" },
  watchdog: {
    name: "watchdog",
    description: "Judge the running bot's health from its heartbeat: exit 0 healthy, 6 unhealthy with one line of reason",
  },
  status: {
    name: "status",
    description: "Heartbeat, bankroll, positions, open orders, today's P&L and the last cycles (read-only; safe while the bot runs)",
  },
  report: {
    name: "report",
    description:
      "Records from the ledger for books, taxes and review: fills, orders, settlements, or one line per trading day (read-only; safe while the bot runs)",
  },
  pause: { name: "pause", description: "Disable trading in the running bot without a restart (writes paths.kill_switch_file)" },
  resume: { name: "resume", description: "End a pause (removes paths.kill_switch_file)" },
  setup: { name: "setup", description: "Interactive setup wizard: writes advanced_config.json (needs a terminal)" },
  sim: { name: "sim", description: "Run the local Kalshi-compatible exchange" },
  config: { name: "config", description: "Show the merged configuration or print its JSON Schema" },
  dashboard: { name: "dashboard", description: "Serve the web dashboard and Prometheus /metrics (read-only; safe while the bot runs)" },
  backtest: {
    name: "backtest",
    description: "Replay a trade tape or a recording through the strategies, risk gate, order manager and paper fill model",
  },
  "fetch-history": {
    name: "fetch-history",
    description: "Download a series' settled events, markets, trades and one-minute candlesticks into the tape format backtest reads",
  },
  record: { name: "record", description: "Record a series' order book, trade, ticker and lifecycle streams into hourly gzip JSONL files" },
} as const;
