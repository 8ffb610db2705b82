// `kalshi-bot run` and the guide's root spelling (`kalshi-bot --mode trade --once …`): load the
// config (offering the setup wizard on a first interactive start), then hand over to the engine's
// lifecycle (src/engine/bot.ts), which owns the lock, the heartbeat and the exit codes.
import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { configArgs, guarded, runArgs, UserError, applyLogFlags } from "./shared.ts";
import { loadOrExplain } from "./config.ts";
import { configFilePath } from "../config/load.ts";
import { shouldRunWizard, runSetupWizard } from "../ops/setup-wizard.ts";
import { runBot } from "../engine/bot.ts";
import { startOperatorView } from "../notify/operator-view.ts";
import { log, loggerSettings, type LogFormat, type LogLevelName } from "../ops/log.ts";
import { COMMAND_META } from "./command-meta.ts";
import { applyDaemonJit, DAEMON_JSC_OPTION, FROM_SOURCE } from "../ops/daemon-jit.ts";

export async function runMain(args: Record<string, unknown>): Promise<number> {
  const mode = (args.mode as string | undefined) ?? "trade";
  if (mode !== "trade" && mode !== "scan") throw new UserError(`--mode must be trade or scan, not "${mode}"`);
  // A daemon replaces itself here, before any output, when its JavaScriptCore option is unset
  // (src/ops/daemon-jit.ts); --once is one cycle and keeps the defaults.
  const jitKept = args.once ? null : applyDaemonJit();
  const nonInteractive = Boolean(args["non-interactive"]);
  // First interactive start without a config: the setup wizard writes one (never under systemd,
  // in CI, without a terminal, or with the opt-out flags).
  const cfgPath = configFilePath({ configPath: args.config as string | undefined });
  if (
    !existsSync(cfgPath.path) &&
    !cfgPath.explicit &&
    shouldRunWizard({ skipSetupWizard: Boolean(args["skip-setup-wizard"]), nonInteractive })
  ) {
    await runSetupWizard(cfgPath.path);
  }
  const loaded = loadOrExplain(args as { config?: string; "lock-file"?: string });
  applyLogFlags(
    args as { verbose?: boolean; "log-format"?: string },
    loaded.config.logging.format as LogFormat,
    loaded.config.logging.level as LogLevelName,
  );
  if (jitKept)
    log[jitKept === FROM_SOURCE ? "debug" : "warn"](
      `${DAEMON_JSC_OPTION} could not be set (${jitKept}): JavaScriptCore keeps its optimizing tiers, so memory runs ~20 MB higher; set ${DAEMON_JSC_OPTION}=false in the environment to apply it`,
    );
  // Under --log-format json every stdout line must be JSON: the cycle summary becomes a log record.
  const print = loggerSettings().format === "json" ? (t: string) => log.info(t) : undefined;
  // Notifications and the dashboard run beside the engine, reading what it writes (src/notify).
  const view = startOperatorView(
    loaded,
    { config: args.config as string | undefined, "lock-file": args["lock-file"] as string | undefined },
    { once: Boolean(args.once), mode },
  );
  try {
    return await runBot(loaded, {
      mode,
      once: Boolean(args.once),
      nonInteractive,
      resetHalt: Boolean(args["reset-halt"]),
      ...(print ? { print } : {}),
    });
  } finally {
    await view.stop();
  }
}

export default defineCommand({
  meta: COMMAND_META.run,
  args: {
    ...configArgs,
    ...runArgs,
    "reset-halt": { type: "boolean", description: "Clear a persisted risk halt (after review) and resume trading" },
  },
  run: guarded(async ({ args }) => runMain(args)),
});
