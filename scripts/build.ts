// Build the single self-contained binary dist/kalshi-bot, version baked in, with the compiled
// binary's .env / bunfig.toml autoloading turned off (a daemon must not pick up stray files).
import pkg from "../package.json" with { type: "json" };

const outfile = process.env.KALSHI_BOT_OUTFILE ?? "dist/kalshi-bot";
const result = await Bun.build({
  entrypoints: ["src/cli.ts"],
  compile: { outfile, autoloadDotenv: false, autoloadBunfig: false },
  minify: true,
  sourcemap: "inline",
  define: { KALSHI_BOT_VERSION: JSON.stringify(pkg.version) },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.error(`built ${outfile} (kalshi-bot ${pkg.version})`);
