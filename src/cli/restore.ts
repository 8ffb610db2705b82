// Placeholder until the owning engineer lands the real command.
import { defineCommand } from "citty";
import { configArgs, guarded, UserError } from "./shared.ts";

export async function restoreMain(_args: Record<string, unknown>): Promise<number> {
  throw new UserError("'restore' is not implemented yet");
}

export default defineCommand({
  meta: { name: "restore", description: "restore" },
  args: { ...configArgs },
  run: guarded(async ({ args }) => restoreMain(args)),
});
