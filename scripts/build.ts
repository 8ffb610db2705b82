// Build the single self-contained binary dist/kalshi-bot, version baked in, with the compiled
// binary's .env / bunfig.toml autoloading turned off (a daemon must not pick up stray files).
//
// The binary is written under a temp name in the same folder and renamed over the target, so a
// process starting dist/kalshi-bot meanwhile (a test, a bot, another build) runs the old binary or
// the new one, never half of one (and a running binary is never rewritten in place).
import { existsSync, renameSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import pkg from "../package.json" with { type: "json" };

const outfile = process.env.KALSHI_BOT_OUTFILE ?? "dist/kalshi-bot";
// Profile-guided bytecode layout: the functions a daemon run used (recorded by
// scripts/record-bytecode-order.ts) lie together at the front of the embedded bytecode, so the
// daemon touches fewer of the binary's pages (issue 14 goal 5: ~2-3 MB less resident, file-backed).
// A profile from an older build still applies; functions it does not know go after the ones it lists.
const bytecodeOrder = join(import.meta.dir, "bytecode-order", "daemon.txt");
const tmp = join(dirname(outfile), `.${basename(outfile)}.tmp-${process.pid}`);
const quietUnlink = (p: string) => {
  try {
    unlinkSync(p);
  } catch {}
};
const result = await Bun.build({
  entrypoints: ["src/cli.ts"],
  compile: { outfile: tmp, autoloadDotenv: false, autoloadBunfig: false, bytecodeOrder: existsSync(bytecodeOrder) && bytecodeOrder },
  minify: true,
  // Precompiled bytecode: start-up no longer parses the whole bundle (about 4 MB of JS) on every run;
  // `--version` runs every minute from the watchdog timer (issue 14: 2.4x -> 1.2x a hello-world's CPU).
  bytecode: true,
  format: "esm",
  sourcemap: "inline",
  // NODE_ENV is fixed: Bun inlines the BUILD environment's value otherwise, so a binary built under
  // `bun test` (NODE_ENV=test, e.g. by test/helpers/bin.ts) behaved differently from a release
  // build (consola dropped its terminal formatting).
  define: { KALSHI_BOT_VERSION: JSON.stringify(pkg.version), "process.env.NODE_ENV": JSON.stringify("production") },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  quietUnlink(tmp);
  quietUnlink(`${tmp}.map`);
  process.exit(1);
}
renameSync(tmp, outfile);
// The compiled binary embeds its source map; the loose map Bun also writes is kept (as
// dist/kalshi-bot.map) only for the default output. A build into another name (test/helpers/bin.ts
// builds into a temp name and renames it) would otherwise leave one ~2 MB map per build in dist/.
if (process.env.KALSHI_BOT_OUTFILE) quietUnlink(`${tmp}.map`);
else {
  try {
    renameSync(`${tmp}.map`, `${outfile}.map`);
  } catch {}
}
console.error(`built ${outfile} (kalshi-bot ${pkg.version})`);
