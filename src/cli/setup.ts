// Placeholder until the owning engineer lands the real command.
import { defineCommand } from "citty";
import { configArgs, guarded, UserError } from "./shared.ts";

export async function setupMain(_args: Record<string, unknown>): Promise<number> {
  throw new UserError("'setup' is not implemented yet");
}

export default defineCommand({
  meta: { name: "setup", description: "setup" },
  args: { ...configArgs },
  run: guarded(async ({ args }) => setupMain(args)),
});
