// Placeholder until the owning engineer lands the real command.
import { defineCommand } from "citty";
import { configArgs, guarded, UserError } from "./shared.ts";

export async function runMain(_args: Record<string, unknown>): Promise<number> {
  throw new UserError("'run' is not implemented yet");
}

export default defineCommand({
  meta: { name: "run", description: "run" },
  args: { ...configArgs },
  run: guarded(async ({ args }) => runMain(args)),
});
