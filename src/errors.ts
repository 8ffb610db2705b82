// The leaf module of errors and exit codes: every layer (cli, engine, ops, config, db) imports it; it imports nothing.
// Exit codes are part of the public interface (systemd's RestartPreventExitStatus, cron, scripts).
export const EXIT = {
  OK: 0,
  INTERNAL: 1, // a bug: unexpected error, printed with its stack only under --verbose
  USAGE: 2, // bad flags, invalid config, --verify-config found problems
  LOCKED: 3, // another instance holds the lock
  EXCHANGE: 4, // exchange unreachable or authentication failed (retryable)
  BACKUP: 5, // backup or restore failed
  UNHEALTHY: 6, // watchdog verdict: the running bot is not healthy
  RECONCILE: 7, // reconciliation with the exchange failed; the bot refused to trade (retryable)
  // The database gets codes of its own, not USAGE: the config may be right and the file wrong, and
  // the operator's first question ("what do I fix?") has a different answer. Split in two because
  // systemd must treat them differently (see RestartPreventExitStatus in deploy/systemd).
  DATABASE: 8, // the database cannot be used: another program's file, damaged, unwritable, disk full; systemd must not restart
  DATABASE_BUSY: 9, // the database is locked by another program past the busy timeout (retryable)
  HALTED: 10, // a risk limit halted trading; systemd must not restart
  LIVE_REFUSED: 11, // live trading refused: the autonomous checklist is not met; systemd must not restart
  INTERRUPTED: 130, // Ctrl+C at a prompt
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** How systemd treats an exit (deploy/systemd: RestartPreventExitStatus, Restart=on-failure). */
type SystemdRestart = "" | "restarted" | "restarted later" | "not restarted";

/**
 * What each exit code means: the one list that `--help` and README's "Exit codes" table are rendered
 * from (src/cli/exit-codes.ts; a test holds README to it). `short` is for --help, `meaning` for README.
 */
export const EXIT_CODE_DOCS: Record<keyof typeof EXIT, { short: string; meaning: string; systemd: SystemdRestart }> = {
  OK: { short: "ok", meaning: "ok", systemd: "" },
  INTERNAL: { short: "internal error", meaning: "internal error (a bug; `--verbose` shows the stack)", systemd: "restarted" },
  USAGE: {
    short: "usage/invalid config",
    meaning: "usage error, invalid config, or `--verify-config` found problems",
    systemd: "not restarted",
  },
  LOCKED: {
    short: "lock held",
    meaning: "lock held by another instance (`Failed to acquire lock`, names the holder's PID)",
    systemd: "restarted later",
  },
  EXCHANGE: {
    short: "exchange unreachable",
    meaning:
      "exchange unreachable or authentication failed (also when it happens during reconciliation; the message names the fix for a refused key or a clock that is off). `--once` only: the daemon keeps running, heartbeat `degraded`, and retries with backoff",
    systemd: "restarted",
  },
  BACKUP: { short: "backup/restore failed", meaning: "backup or restore failed (nothing was lost)", systemd: "" },
  UNHEALTHY: { short: "unhealthy", meaning: "watchdog: the running bot is not healthy", systemd: "" },
  RECONCILE: {
    short: "reconciliation failed",
    meaning:
      "reconciliation failed: the ledger and the exchange disagree (positions); the bot refused to trade. `--once` only: the daemon keeps running without trading, heartbeat `error` with the disagreement, and retries every interval (a restart would not change the answer)",
    systemd: "restarted",
  },
  DATABASE: {
    short: "database unusable",
    meaning:
      "database unusable: another program's file, not SQLite, damaged, a folder, not writable, or no disk space (the message names the file and the fix)",
    systemd: "not restarted",
  },
  DATABASE_BUSY: {
    short: "database locked",
    meaning: "database locked by another program (a `sqlite3` shell, a second bot with its own lock file) past the 10 s busy timeout",
    systemd: "restarted",
  },
  HALTED: {
    short: "halted by a risk limit",
    meaning: "halted by a risk limit (daily loss, drawdown); stays halted across restarts until `kalshi-bot run --reset-halt`",
    systemd: "not restarted",
  },
  LIVE_REFUSED: {
    short: "live trading refused",
    meaning: "live trading refused: the autonomous checklist is not met",
    systemd: "not restarted",
  },
  INTERRUPTED: { short: "interrupted", meaning: "interrupted at a prompt", systemd: "" },
};

/**
 * An error the user can fix. Printed as one line (message already names the problem and the fix),
 * never with a stack, and mapped to its exit code at the CLI boundary.
 */
export class UserError extends Error {
  override name = "UserError";
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.USAGE,
    /** Extra lines printed after the message (e.g. every problem found by verify). */
    readonly details: string[] = [],
  ) {
    super(message);
  }
}
