// What every command shares: argument fragments spelled as the operations guide spells them, and
// guarded(), the one error boundary (unknown flags, user errors as one line, exit codes).
import type { ArgsDef, CommandContext } from "citty";
import { EXIT, UserError } from "../errors.ts";
import { configureLogger, isBrokenPipe, log, type LogFormat, type LogLevelName } from "../ops/log.ts";

export { EXIT, UserError };

export const configArgs = {
  config: {
    type: "string",
    description: "Path to advanced_config.json (default ./advanced_config.json or $KALSHI_BOT_CONFIG)",
    valueHint: "PATH",
  },
  "log-format": {
    type: "enum",
    options: ["auto", "pretty", "plain", "journald", "json"],
    description: "Log format (auto: journald under systemd, pretty on a terminal)",
  },
  verbose: { type: "boolean", description: "Debug logging; print stacks of internal errors" },
} as const satisfies ArgsDef;

export const lockArgs = {
  "lock-file": { type: "string", description: "Lock file path (overrides paths.lock_file)", valueHint: "PATH" },
} as const satisfies ArgsDef;

export const runArgs = {
  mode: {
    type: "enum",
    options: ["trade", "scan"],
    description: "trade: place orders (dry-run by default); scan: show what strategies would do",
  },
  once: { type: "boolean", description: "Run one cycle and exit" },
  "skip-setup-wizard": { type: "boolean", description: "Never start the interactive setup wizard" },
  "non-interactive": { type: "boolean", description: "Never prompt (implied when stdin is not a terminal)" },
  ...lockArgs,
} as const satisfies ArgsDef;

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export interface ArgRules {
  /** Options that may be given more than once (e.g. sim's --api-key-id); any other value option may not. */
  repeatable?: readonly string[];
}

/**
 * citty accepts unknown flags silently, and keeps only the last of a repeated option (a typo, or
 * `--config a.json --config b.json`, must never be ignored on a money-moving tool).
 */
export function findArgProblems(rawArgs: string[], def: ArgsDef, rules: ArgRules = {}): string | null {
  const flags = new Map<string, { takesValue: boolean; boolean: boolean }>();
  let positionals = 0;
  for (const [name, d] of Object.entries(def)) {
    if (d.type === "positional") {
      positionals++;
      continue;
    }
    const takesValue = d.type === "string" || d.type === "enum";
    const alias = (d as { alias?: string | string[] }).alias;
    const names = [name, kebab(name), ...(Array.isArray(alias) ? alias : alias ? [alias] : [])];
    for (const n of names) flags.set(n, { takesValue, boolean: d.type === "boolean" });
  }
  flags.set("help", { takesValue: false, boolean: true });
  flags.set("h", { takesValue: false, boolean: true });
  let seenPositionals = 0;
  const given = new Set<string>();
  const repeatable = new Set(rules.repeatable ?? []);
  for (let i = 0; i < rawArgs.length; i++) {
    const tok = rawArgs[i]!;
    if (tok === "--") {
      seenPositionals += rawArgs.length - i - 1;
      break;
    }
    if (tok.startsWith("-") && tok !== "-") {
      const body = tok.replace(/^--?/, "");
      const eq = body.indexOf("=");
      let name = eq >= 0 ? body.slice(0, eq) : body;
      let spec = flags.get(name);
      if (!spec && name.startsWith("no-")) {
        const base = flags.get(name.slice(3));
        if (base?.boolean) spec = base;
        name = name.slice(3);
      }
      if (!spec) return `Unknown option ${tok.split("=")[0]}. See --help for the options of this command.`;
      // Switches too: `--once --once` (or `--json --no-json`) is a mistake, not a choice to guess at.
      if (given.has(name) && !repeatable.has(name)) return `Option --${name} is given more than once; give it once.`;
      given.add(name);
      if (spec.boolean && eq >= 0 && !["true", "false"].includes(body.slice(eq + 1)))
        return `Option --${name} is a switch: give it alone (or =true / =false), not ${tok}.`;
      if (spec.takesValue && eq < 0) {
        const next = rawArgs[i + 1];
        if (next === undefined || (next.startsWith("--") && next.length > 2)) return `Option --${name} needs a value. See --help.`;
        i++;
      }
      continue;
    }
    seenPositionals++;
  }
  if (seenPositionals > positionals) {
    return `Unexpected argument${seenPositionals - positionals > 1 ? "s" : ""}. See --help for the usage of this command.`;
  }
  return null;
}

export interface CommonFlags {
  verbose?: boolean;
  "log-format"?: string;
}

let verbose = false;

/** Set up logging from the common flags before a command does anything else. */
export function applyLogFlags(args: CommonFlags, configFormat?: LogFormat, configLevel?: LogLevelName): void {
  verbose = Boolean(args.verbose);
  const format = (args["log-format"] as LogFormat | undefined) ?? configFormat ?? "auto";
  configureLogger(format, verbose ? "debug" : (configLevel ?? "info"));
}

export function reportError(e: unknown): number {
  // The reader of our output went away (`kalshi-bot status | head -1`): the work is done, nothing
  // is left to tell, and a stack trace about a closed pipe would only be noise.
  if (isBrokenPipe(e)) return typeof process.exitCode === "number" ? process.exitCode : EXIT.OK;
  if (e instanceof UserError) {
    log.error(e.message);
    for (const d of e.details) log.error(`  ${d}`);
    return e.exitCode;
  }
  const err = e as Error & { problems?: unknown };
  // A configuration problem that reached here without loadOrExplain (e.g. `--config ""` seen while
  // choosing whether to offer the setup wizard) is still the user's to fix, not a bug. Matched by
  // name so this module does not pull the config schema into every command.
  if (err?.name === "ConfigError") {
    log.error(err.message);
    if (Array.isArray(err.problems)) for (const d of err.problems) log.error(`  ${String(d)}`);
    return EXIT.USAGE;
  }
  if (err?.name === "ConsolaPromptCancelledError") {
    log.error("Cancelled.");
    return EXIT.INTERRUPTED;
  }
  log.error(`Internal error: ${err?.message ?? String(e)}${verbose ? "" : " (run again with --verbose for details)"}`);
  if (verbose && err?.stack) log.debug(err.stack);
  return EXIT.INTERNAL;
}

/** The one error boundary of every command. Sets process.exitCode; never throws. */
// biome-ignore lint/suspicious/noConfusingVoidType: a command returns an exit code or nothing, as citty's run does
export function guarded<T extends ArgsDef>(fn: (ctx: CommandContext<T>) => Promise<number | void> | number | void, rules: ArgRules = {}) {
  return async (ctx: CommandContext<T>): Promise<void> => {
    const problem = findArgProblems(ctx.rawArgs, (ctx.cmd.args ?? {}) as ArgsDef, rules);
    applyLogFlags(ctx.args as CommonFlags);
    if (problem) {
      log.error(problem);
      process.exitCode = EXIT.USAGE;
      return;
    }
    try {
      const code = await fn(ctx);
      process.exitCode = typeof code === "number" ? code : (process.exitCode ?? 0);
    } catch (e) {
      process.exitCode = reportError(e);
    }
  };
}
