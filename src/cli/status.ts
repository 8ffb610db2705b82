// `kalshi-bot status`: what the bot is doing (src/ops/status.ts), as text fitted to the terminal or
// as JSON. Takes no lock and never writes: safe while the bot runs.
import { defineCommand } from "citty";
import { configArgs, guarded, EXIT } from "./shared.ts";
import { collectStatus, renderStatus } from "../ops/status.ts";
import { terminalWidth } from "../ops/table.ts";
import { COMMAND_META } from "./command-meta.ts";

export async function statusMain(args: Record<string, unknown>): Promise<number> {
  const r = collectStatus(args);
  if (args.json) process.stdout.write(JSON.stringify(r, null, 2) + "\n");
  else process.stdout.write(renderStatus(r, terminalWidth()));
  return EXIT.OK;
}

export default defineCommand({
  meta: COMMAND_META.status,
  args: {
    ...configArgs,
    "lock-file": { type: "string", description: "Lock file to report on (overrides paths.lock_file)", valueHint: "PATH" },
    json: { type: "boolean", description: "Print everything as JSON" },
  },
  run: guarded(async ({ args }) => statusMain(args)),
});
