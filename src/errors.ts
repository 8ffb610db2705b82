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
