// `kalshi-bot config show|schema`
import { defineCommand } from "citty";
import { mkdirSync } from "node:fs";
import { configArgs, guarded, UserError } from "./shared.ts";
import { configJsonSchema, loadConfig, redactedConfig, ConfigError, type LoadedConfig } from "../config/load.ts";
import { COMMAND_META } from "./command-meta.ts";

/**
 * Load the config or explain why not (one line per problem, exit 2). Commands that write state
 * (run, backup, restore) also make sure `paths.logs_dir` exists, best effort: the guide's cron line
 * (`… --backup >> logs/backup.log 2>&1`) is opened by the shell before the bot runs, so the folder
 * must already be there from an earlier run. Read-only commands pass `{ readOnly: true }`.
 */
export function loadOrExplain(args: { config?: string; "lock-file"?: string }, opts: { readOnly?: boolean } = {}): LoadedConfig {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig({ configPath: args.config, lockFile: args["lock-file"] });
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.message, 2, e.problems);
    throw e;
  }
  if (!opts.readOnly) {
    try {
      mkdirSync(loaded.paths.logsDir, { recursive: true });
    } catch {
      // not ours to fail on: the command itself reports unwritable folders it needs
    }
  }
  return loaded;
}

const show = defineCommand({
  meta: { name: "show", description: "Print the merged configuration (defaults, file, environment) with secrets redacted" },
  args: { ...configArgs },
  run: guarded(async ({ args }) => {
    process.stdout.write(JSON.stringify(redactedConfig(loadOrExplain(args, { readOnly: true })), null, 2) + "\n");
  }),
});

const schema = defineCommand({
  meta: { name: "schema", description: "Print the JSON Schema of advanced_config.json (for editor autocompletion)" },
  args: { verbose: configArgs.verbose },
  run: guarded(async () => {
    process.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + "\n");
  }),
});

export default defineCommand({
  meta: COMMAND_META.config,
  subCommands: { show, schema },
});
