// `kalshi-bot restore <backup> [target_db] [--force]`: replaces the guide's restore_db.sh.
// Takes the bot's lock for the duration; refuses while a bot runs.
import { defineCommand } from "citty";
import { configArgs, guarded, lockArgs, UserError, EXIT } from "./shared.ts";
import { loadOrExplain } from "./config.ts";
import { displayPath } from "./backup.ts";
import { restoreDatabase } from "../ops/restore.ts";
import { log } from "../ops/log.ts";
import { COMMAND_META } from "./command-meta.ts";

export async function restoreMain(args: Record<string, unknown>): Promise<number> {
  const backup = typeof args.backup === "string" ? args.backup : undefined;
  if (!backup) {
    throw new UserError(
      "restore needs the backup to restore: kalshi-bot restore backups/kalshi_YYYYMMDD_HHMMSS.sqlite [target_db]",
      EXIT.USAGE,
    );
  }
  const loaded = loadOrExplain(args as { config?: string; "lock-file"?: string });
  const targetArg = typeof args.target_db === "string" && args.target_db !== "" ? args.target_db : undefined;
  const target = targetArg ?? loaded.paths.database;
  const r = restoreDatabase({
    backup,
    target,
    lockFile: loaded.paths.lockFile,
    force: Boolean(args.force),
    warn: (m) => log.warn(m),
  });
  if (args.json) {
    process.stdout.write(
      JSON.stringify({ ok: true, backup, target: r.target, bytes: r.bytes, saved_as: r.savedAs, lock_taken: r.lockTaken }) + "\n",
    );
  } else {
    process.stdout.write(
      `restored ${displayPath(backup)} -> ${displayPath(r.target)} (${r.bytes} bytes, verified)` +
        (r.savedAs ? `; previous database saved as ${displayPath(r.savedAs)}` : "; there was no previous database") +
        "\n",
    );
  }
  return EXIT.OK;
}

export default defineCommand({
  meta: COMMAND_META.restore,
  args: {
    backup: {
      type: "positional",
      required: false,
      description: "Backup file, e.g. backups/kalshi_20261124_020000.sqlite",
      valueHint: "BACKUP",
    },
    target_db: {
      type: "positional",
      required: false,
      description: "Database to replace (default: paths.database from the config)",
      valueHint: "TARGET_DB",
    },
    force: { type: "boolean", description: "Restore although the lock is held (only for a lock you know is stale)" },
    json: { type: "boolean", description: "Print the result as one JSON line" },
    ...configArgs,
    ...lockArgs,
  },
  run: guarded(async ({ args }) => restoreMain(args)),
});
