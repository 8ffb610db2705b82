// `kalshi-bot pause [--reason TEXT]` / `kalshi-bot resume`: the kill switch for a running bot,
// without a restart. They write or remove paths.kill_switch_file; the bot reads it before every
// order and starts a cycle within about a second of a change (resting orders are cancelled, as with
// BOT_DISABLE_TRADING). No lock: pausing must work while the bot holds it.
import { defineCommand } from "citty";
import { configArgs, guarded, lockArgs, UserError, EXIT } from "./shared.ts";
import { loadOrExplain } from "./config.ts";
import { displayPath } from "./backup.ts";
import { fileSwitch, removePause, writePause } from "../ops/kill-switch.ts";
import { COMMAND_META } from "./command-meta.ts";

function fsFail(action: string, path: string, e: unknown): UserError {
  const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  return new UserError(
    `cannot ${action} ${path} (${code}): run as the bot's user or root (sudo -u kalshi-bot kalshi-bot …), or set paths.kill_switch_file to a folder you can write`,
    EXIT.USAGE,
  );
}

export function pauseMain(args: Record<string, unknown>): number {
  const loaded = loadOrExplain(args as { config?: string; "lock-file"?: string }, { readOnly: true });
  const file = loaded.paths.killSwitchFile;
  const reason = typeof args.reason === "string" ? args.reason.replace(/[\r\n]+/g, " ").trim() : "";
  if (args.reason !== undefined && !reason) throw new UserError('--reason needs a text, e.g. --reason "news at 14:00"', EXIT.USAGE);
  try {
    writePause(file, reason, "kalshi-bot pause");
  } catch (e) {
    throw fsFail("write", file, e);
  }
  process.stdout.write(
    `paused: ${displayPath(file)} exists; the bot places no order from now on and cancels its resting ones within seconds. kalshi-bot resume ends it.\n`,
  );
  return EXIT.OK;
}

export function resumeMain(args: Record<string, unknown>): number {
  const loaded = loadOrExplain(args as { config?: string; "lock-file"?: string }, { readOnly: true });
  const file = loaded.paths.killSwitchFile;
  if (!fileSwitch(file).on) {
    process.stdout.write(
      `not paused: ${displayPath(file)} does not exist${process.env.BOT_DISABLE_TRADING ? " (BOT_DISABLE_TRADING is set in this shell; the bot's own environment decides for it)" : ""}\n`,
    );
    return EXIT.OK;
  }
  try {
    removePause(file);
  } catch (e) {
    throw fsFail("remove", file, e);
  }
  process.stdout.write(
    `resumed: ${displayPath(file)} removed; the bot trades again from its next cycle (within seconds), unless BOT_DISABLE_TRADING is set for it\n`,
  );
  return EXIT.OK;
}

export const pauseCommand = defineCommand({
  meta: COMMAND_META.pause,
  args: {
    ...configArgs,
    ...lockArgs,
    reason: { type: "string", description: "Why, shown in the heartbeat and status", valueHint: "TEXT" },
  },
  run: guarded(async ({ args }) => pauseMain(args)),
});

export const resumeCommand = defineCommand({
  meta: COMMAND_META.resume,
  args: { ...configArgs, ...lockArgs },
  run: guarded(async ({ args }) => resumeMain(args)),
});
