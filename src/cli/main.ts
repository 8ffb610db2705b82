// Entry dispatch. The guide's spellings (`kalshi-bot --mode trade --once`, `--backup`,
// `--verify-config`) run through the root command; subcommands are the tidy spelling. citty would
// read `--mode trade` as a subcommand named "trade", so the choice is made here, before citty.
import { defineCommand, renderUsage, runCommand, type CommandDef } from "citty";
import { VERSION } from "../version.ts";
import { configArgs, guarded, runArgs, UserError, EXIT } from "./shared.ts";
import { installOutputGuards, isBrokenPipe, log } from "../ops/log.ts";
import { exitCodeSummary } from "./exit-codes.ts";
import { COMMAND_META } from "./command-meta.ts";

// biome-ignore lint/suspicious/noExplicitAny: each command declares its own args; citty's CommandDef is invariant in them
type Loader = () => Promise<CommandDef<any>>;

// One loader per command of COMMAND_META, and no other (the type says so).
export const SUBCOMMANDS: Record<keyof typeof COMMAND_META, Loader> & Record<string, Loader | undefined> = {
  run: () => import("./run.ts").then((m) => m.default),
  backup: () => import("./backup.ts").then((m) => m.default),
  restore: () => import("./restore.ts").then((m) => m.default),
  verify: () => import("./verify.ts").then((m) => m.default),
  watchdog: () => import("./watchdog.ts").then((m) => m.default),
  status: () => import("./status.ts").then((m) => m.default),
  report: () => import("./report.ts").then((m) => m.default),
  pause: () => import("./pause.ts").then((m) => m.pauseCommand),
  resume: () => import("./pause.ts").then((m) => m.resumeCommand),
  setup: () => import("./setup.ts").then((m) => m.default),
  sim: () => import("./sim.ts").then((m) => m.default),
  config: () => import("./config.ts").then((m) => m.default),
  dashboard: () => import("./dashboard.ts").then((m) => m.default),
  backtest: () => import("./backtest.ts").then((m) => m.default),
  "fetch-history": () => import("./fetch-history.ts").then((m) => m.default),
  record: () => import("./record.ts").then((m) => m.default),
};

export const rootCommand = defineCommand({
  meta: { name: "kalshi-bot", version: VERSION, description: "Autonomous trading bot for Kalshi" },
  args: {
    ...configArgs,
    ...runArgs,
    backup: { type: "boolean", description: "Write a timestamped backup to backups/ and exit (safe while the bot runs)" },
    "verify-config": { type: "boolean", description: "Check the configuration for a live run (with --mode trade) and exit" },
    "reset-halt": { type: "boolean", description: "Clear a persisted risk halt (after review) and resume trading" },
    version: { type: "boolean", description: "Print the version" },
  },
  run: guarded(async (ctx) => {
    const a = ctx.args;
    if (a.backup && a["verify-config"]) throw new UserError("--backup and --verify-config cannot be combined; run them one at a time");
    if (a.backup || a["verify-config"]) {
      const bad = (["once", "skip-setup-wizard", "reset-halt"] as const).filter((k) => a[k]);
      if (bad.length) throw new UserError(`--${bad[0]} has no meaning with ${a.backup ? "--backup" : "--verify-config"}; remove it`);
    }
    // Only the module of the chosen action is loaded (`--backup` from cron must not load the engine).
    if (a.backup) return (await import("./backup.ts")).backupMain(a);
    if (a["verify-config"]) return (await import("./verify.ts")).verifyMain(a);
    return (await import("./run.ts")).runMain(a);
  }),
});

/** The root's help: its options, then each command with its one-line description (COMMAND_META: no command module is loaded). */
export async function rootUsage(): Promise<string> {
  const usage = await renderUsage(rootCommand);
  const cmds = Object.entries(COMMAND_META).map(([k, m]) => `  ${k.padEnd(14)} ${m.description}`);
  return `${usage}\n\nCOMMANDS\n\n${cmds.join("\n")}\n\nUse kalshi-bot <command> --help for the options of a command.\nExit codes: ${exitCodeSummary()}.\n`;
}

function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end >= 0 ? argv.slice(0, end) : argv).some((a) => a === "--help" || a === "-h");
}

/**
 * `kalshi-bot --config x.json status` means `kalshi-bot status --config x.json`: options written
 * before a command move behind it (the command then judges them). Values of the root's options
 * (`--mode trade`, `--config run`) are never taken for a command.
 */
export function commandFirst(argv: string[]): string[] {
  if (!argv[0]?.startsWith("-")) return argv;
  const takesValue = new Set<string>();
  for (const [name, d] of Object.entries(rootCommand.args ?? {})) {
    if (d.type === "string" || d.type === "enum") takesValue.add(name);
  }
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === "--") return argv;
    if (tok.startsWith("-") && tok !== "-") {
      const name = tok.replace(/^--?/, "");
      if (!name.includes("=") && takesValue.has(name)) i++;
      continue;
    }
    if (!SUBCOMMANDS[tok]) return argv;
    // Behind everything the command was given (so `config show` still sees `show` first), but
    // before a `--` separator.
    const rest = argv.slice(i + 1);
    const sep = rest.indexOf("--");
    return sep < 0 ? [tok, ...rest, ...argv.slice(0, i)] : [tok, ...rest.slice(0, sep), ...argv.slice(0, i), ...rest.slice(sep)];
  }
  return argv;
}

export async function main(rawArgv: string[]): Promise<void> {
  installOutputGuards();
  try {
    let argv = commandFirst(rawArgv);
    if (argv[0] === "help") {
      // `help frobnicate` (or `help run status`) is a mistake to name, not a reason to print the root's help and exit 0.
      const words = argv.slice(1).filter((t) => !t.startsWith("-"));
      if (words.length > 1 || (words[0] !== undefined && !SUBCOMMANDS[words[0]])) {
        log.error(
          words.length > 1
            ? "help takes one command at most, e.g. kalshi-bot help run."
            : `help: unknown command "${words[0]}". Commands: ${Object.keys(SUBCOMMANDS).join(", ")}.`,
        );
        process.exitCode = EXIT.USAGE;
        return;
      }
      argv = words[0] ? [words[0], "--help"] : ["--help"];
    }
    const first = argv[0];
    if (first === "--version" || first === "-V" || first === "version") {
      if (argv.length > 1) {
        log.error(`${first} takes no arguments (got ${argv.slice(1).join(" ")}).`);
        process.exitCode = EXIT.USAGE;
        return;
      }
      process.stdout.write(`${VERSION}\n`);
      return;
    }
    if (first !== undefined && !first.startsWith("-")) {
      const loader = SUBCOMMANDS[first];
      if (!loader) {
        log.error(`Unknown command "${first}". Commands: ${Object.keys(SUBCOMMANDS).join(", ")}. See kalshi-bot --help.`);
        process.exitCode = EXIT.USAGE;
        return;
      }
      const cmd = await loader();
      if (wantsHelp(argv.slice(1)) && !(cmd.subCommands && argv[1] && !argv[1].startsWith("-"))) {
        // biome-ignore lint/suspicious/noExplicitAny: as for Loader above
        process.stdout.write((await renderUsage(cmd, rootCommand as CommandDef<any>)) + "\n");
        return;
      }
      await runCommand(cmd, { rawArgs: argv.slice(1) });
      return;
    }
    if (wantsHelp(argv)) {
      process.stdout.write(await rootUsage());
      return;
    }
    await runCommand(rootCommand, { rawArgs: argv });
  } catch (e) {
    if (isBrokenPipe(e)) return; // e.g. `kalshi-bot --help | head -1`
    // citty's own errors (bad enum value, missing required positional) are usage errors.
    const err = e as Error & { code?: string };
    if (err?.name === "CLIError" || err?.code?.startsWith?.("E_")) {
      log.error(`${err.message} See --help.`);
      process.exitCode = EXIT.USAGE;
      return;
    }
    log.error(`Internal error: ${err?.message ?? String(e)}`);
    process.exitCode = EXIT.INTERNAL;
  }
}
