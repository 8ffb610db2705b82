// Placeholder until the owning engineer lands the real command.
import { defineCommand } from "citty";
import { configArgs, guarded, UserError } from "./shared.ts";

export async function statusMain(_args: Record<string, unknown>): Promise<number> {
  throw new UserError("'status' is not implemented yet");
}

export default defineCommand({
  meta: { name: "status", description: "status" },
  args: { ...configArgs },
  run: guarded(async ({ args }) => statusMain(args)),
});
