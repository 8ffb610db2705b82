// Placeholder: the lead is writing verify.
import { defineCommand } from "citty";
import { configArgs, guarded, UserError } from "./shared.ts";
export async function verifyMain(_args: Record<string, unknown>): Promise<number> {
  throw new UserError("'verify' is not implemented yet");
}
export default defineCommand({ meta: { name: "verify", description: "verify" }, args: { ...configArgs }, run: guarded(async ({ args }) => verifyMain(args)) });
