// `kalshi-bot config show|schema`
import { defineCommand } from "citty";
import { configArgs, guarded, UserError } from "./shared.ts";
import { configJsonSchema, loadConfig, redactedConfig, ConfigError } from "../config/load.ts";

export function loadOrExplain(args: { config?: string; "lock-file"?: string }) {
  try {
    return loadConfig({ configPath: args.config, lockFile: args["lock-file"] });
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.message, 2, e.problems);
    throw e;
  }
}

const show = defineCommand({
  meta: { name: "show", description: "Print the merged configuration (defaults, file, environment) with secrets redacted" },
  args: { ...configArgs },
  run: guarded(async ({ args }) => {
    process.stdout.write(JSON.stringify(redactedConfig(loadOrExplain(args)), null, 2) + "\n");
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
  meta: { name: "config", description: "Show the merged configuration or print its JSON Schema" },
  subCommands: { show, schema },
});
