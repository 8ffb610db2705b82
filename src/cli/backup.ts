// Placeholder until the owning engineer lands the real command.
import { defineCommand } from "citty";
import { configArgs, guarded, UserError } from "./shared.ts";

export async function backupMain(_args: Record<string, unknown>): Promise<number> {
  throw new UserError("'backup' is not implemented yet");
}

export default defineCommand({
  meta: { name: "backup", description: "backup" },
  args: { ...configArgs },
  run: guarded(async ({ args }) => backupMain(args)),
});
