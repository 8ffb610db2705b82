// `kalshi-bot setup`: the interactive setup wizard (writes advanced_config.json).
import { defineCommand } from "citty";
import { configArgs, guarded, UserError, EXIT } from "./shared.ts";
import { configFilePath, ConfigError } from "../config/load.ts";
import { runSetupWizard, shouldRunWizard } from "../ops/setup-wizard.ts";
import { COMMAND_META } from "./command-meta.ts";

export async function setupMain(args: Record<string, unknown>): Promise<number> {
  if (args["non-interactive"])
    throw new UserError(
      "setup is interactive; with --non-interactive, write advanced_config.json by hand (see `kalshi-bot config schema`)",
      EXIT.USAGE,
    );
  if (!shouldRunWizard({ stdinIsTTY: process.stdin.isTTY === true })) {
    throw new UserError(
      "setup needs an interactive terminal (stdin/stdout is not a TTY, or CI/systemd is set); run it in a terminal, or write advanced_config.json by hand (see `kalshi-bot config schema`)",
      EXIT.USAGE,
    );
  }
  let path: string;
  try {
    path = configFilePath({ configPath: args.config as string | undefined }).path;
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.message, EXIT.USAGE);
    throw e;
  }
  await runSetupWizard(path);
  return EXIT.OK;
}

export default defineCommand({
  meta: COMMAND_META.setup,
  args: {
    ...configArgs,
    "non-interactive": { type: "boolean", description: "Refuse to prompt (setup then exits with a hint)" },
  },
  run: guarded(async ({ args }) => setupMain(args)),
});
