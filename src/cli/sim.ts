// Placeholder until the sim command lands.
import { defineCommand } from "citty";
import { configArgs, guarded, UserError } from "./shared.ts";
export default defineCommand({
  meta: { name: "sim", description: "Run the local Kalshi-compatible exchange" },
  args: { ...configArgs },
  run: guarded(async () => {
    throw new UserError("'sim' is not implemented yet");
  }),
});
