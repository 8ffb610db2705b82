// Placeholder until the owning engineer lands the real command.
import { defineCommand } from "citty";
import { configArgs, guarded, UserError } from "./shared.ts";

export async function watchdogMain(_args: Record<string, unknown>): Promise<number> {
  throw new UserError("'watchdog' is not implemented yet");
}

export default defineCommand({
  meta: { name: "watchdog", description: "watchdog" },
  args: { ...configArgs },
  run: guarded(async ({ args }) => watchdogMain(args)),
});
