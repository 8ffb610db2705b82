// Records which functions the daemon runs, for the profile-guided bytecode layout of the binary
// (scripts/build.ts reads scripts/bytecode-order/daemon.txt): the daemon, through the binary, live
// against the local exchange with 10,000 markets and WebSocket books for a few minutes (full loads,
// cycles, reactive passes, orders, fills), with Bun's BUN_BYTECODE_ORDER_OUT set for the bot alone.
// The bot writes the file when it exits. Run it again when the daemon's code has changed a lot; a
// stale profile still builds (functions it does not list are laid out after the ones it does).
//
//   bun scripts/build.ts && bun scripts/record-bytecode-order.ts [--minutes 3]
import { mkdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";

const i = process.argv.indexOf("--minutes");
const minutes = i >= 0 ? process.argv[i + 1]! : "3";
const dir = join(import.meta.dir, "bytecode-order");
mkdirSync(dir, { recursive: true });
const out = join(dir, "daemon.txt");
const tmp = `${out}.tmp-${process.pid}`;
const soak = Bun.spawn(
  [
    process.execPath,
    join(import.meta.dir, "bench", "engine-soak.ts"),
    "--minutes",
    minutes,
    "--markets",
    "10000",
    "--speed",
    "1",
    "--bot-env",
    `BUN_BYTECODE_ORDER_OUT=${tmp}`,
  ],
  { stdout: "inherit", stderr: "inherit" },
);
if ((await soak.exited) !== 0) throw new Error(`engine-soak.ts exited ${soak.exitCode}`);
if (statSync(tmp, { throwIfNoEntry: false })?.size) {
  renameSync(tmp, out);
  console.log(`wrote ${out}`);
} else throw new Error("the bot wrote no bytecode order (was dist/kalshi-bot built with bytecode: true?)");
