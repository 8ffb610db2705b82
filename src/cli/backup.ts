// `kalshi-bot --backup` / `kalshi-bot backup`: one verified, timestamped copy of the ledger, safe
// while the bot runs (no lock taken). Prints one line per backup, made for the guide's cron log:
//   2026-11-24T02:00:00Z backup ok backups/kalshi_20261124_020000.sqlite 123456 bytes (kept 14, removed 1)
import { defineCommand } from "citty";
import { relative, isAbsolute } from "node:path";
import { configArgs, guarded, lockArgs, UserError, EXIT } from "./shared.ts";
import { loadOrExplain } from "./config.ts";
import { backupDatabase, BackupError } from "../ops/backup.ts";
import { COMMAND_META } from "./command-meta.ts";

/** A path as the operator wants to read it: relative to the current folder when inside it. */
export function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith("..") && !isAbsolute(r) ? r : p;
}

export async function backupMain(args: Record<string, unknown>): Promise<number> {
  const loaded = loadOrExplain(args as { config?: string; "lock-file"?: string });
  const keepArg = args.keep;
  let keep = loaded.config.backup.keep;
  if (keepArg !== undefined) {
    const n = Number(keepArg);
    if (!Number.isInteger(n) || n < 1)
      throw new UserError(`--keep must be a whole number of at least 1 (got "${String(keepArg)}")`, EXIT.USAGE);
    keep = n;
  }
  let r;
  try {
    r = backupDatabase({ database: loaded.paths.database, backupsDir: loaded.paths.backupsDir, keep });
  } catch (e) {
    if (e instanceof BackupError) throw new UserError(`backup FAILED: ${e.message}`, EXIT.BACKUP);
    throw e;
  }
  if (args.json) {
    process.stdout.write(
      JSON.stringify({
        ok: true,
        path: r.path,
        bytes: r.bytes,
        sha256: r.sha256,
        kept: r.kept,
        removed: r.removed,
        created_at: r.createdAt,
        duration_ms: r.durationMs,
      }) + "\n",
    );
  } else {
    process.stdout.write(
      `${r.createdAt} backup ok ${displayPath(r.path)} ${r.bytes} bytes (kept ${r.kept}, removed ${r.removed.length}) sha256 ${r.sha256.slice(0, 16)} ${r.durationMs} ms\n`,
    );
  }
  return EXIT.OK;
}

export default defineCommand({
  meta: COMMAND_META.backup,
  args: {
    ...configArgs,
    ...lockArgs,
    keep: { type: "string", description: "How many backups to keep (default: backup.keep)", valueHint: "N" },
    json: { type: "boolean", description: "Print the result as one JSON line" },
  },
  run: guarded(async ({ args }) => backupMain(args)),
});
