// `npm run test:unit`: the in-process tests, the fast loop beside the full `npm test`. A test file is
// in-process unless it starts another process: the compiled binary (test/helpers/bin.ts), the e2e
// harness, a spawn of its own, or a shell script (everything under test/deploy/). New tests are
// sorted by the same rule, so the list never needs editing. Extra arguments go to `bun test`.
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const TEST_DIR = join(ROOT, "test");
const SPAWNS = /helpers\/bin\.ts|e2e-harness|Bun\.spawn|spawnSync|dist\/kalshi-bot|\brunBin\b|execFile|\bspawn\(/;
const OUT_OF_PROCESS_DIRS = ["deploy"];

/** Test files (relative to the repo, `./`-prefixed so bun takes them as paths) that run in this process. */
export function unitTestFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "fixtures" && !(dir === TEST_DIR && OUT_OF_PROCESS_DIRS.includes(e.name))) walk(p);
      } else if (e.name.endsWith(".test.ts") && !SPAWNS.test(readFileSync(p, "utf8"))) {
        out.push(`./${relative(ROOT, p)}`);
      }
    }
  };
  walk(TEST_DIR);
  return out.sort();
}

if (import.meta.main) {
  const files = unitTestFiles();
  mkdirSync(join(ROOT, "test-results"), { recursive: true }); // bunfig.toml's JUnit reporter writes there
  const proc = Bun.spawnSync([process.execPath, "test", "--timeout", "120000", ...files, ...process.argv.slice(2)], {
    cwd: ROOT,
    stdio: ["inherit", "inherit", "inherit"],
  });
  process.exit(proc.exitCode ?? 1);
}
