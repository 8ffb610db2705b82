// Through the binary against the local exchange: a daemon started without the unit's JavaScriptCore
// option (by hand, in a container) re-executes itself with it (src/ops/daemon-jit.ts): the same PID,
// the same arguments, its output intact, the option in its environment, no descriptor left over
// from the first image, and it still stops cleanly on SIGTERM. An option the operator set is kept.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { cleanup, ensureBinary, startBin, tempDir } from "../helpers/bin.ts";
import { daemonArgs, startVenue, writeBotConfig } from "../engine/e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const environOf = (pid: number) => readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
const commOf = (pid: number) => readFileSync(`/proc/${pid}/comm`, "latin1").trim();
const argsOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").slice(1, -1);
/** The process's event-loop descriptors (epoll, eventfd): one set per image, so a leak shows as more. */
const loopFds = (pid: number) =>
  readdirSync(`/proc/${pid}/fd`)
    .map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return "";
      }
    })
    .filter((t) => t.startsWith("anon_inode:[event"))
    .sort();

async function daemonWith(env: Record<string, string | undefined>) {
  const dir = tempDir("daemon-jit-");
  const v = await startVenue(dir, { seed: 31 });
  const cfg = writeBotConfig(dir, v);
  const args = daemonArgs(cfg, dir);
  const bot = startBin(args, { cwd: dir, env });
  try {
    await bot.waitFor(/cycle 2\b/, 90_000);
    return {
      pid: bot.pid,
      args,
      environ: environOf(bot.pid),
      comm: commOf(bot.pid),
      argv: argsOf(bot.pid),
      fds: loopFds(bot.pid),
      output: bot.output(),
      code: await bot.stop("SIGTERM", 20_000),
    };
  } finally {
    await bot.stop("SIGKILL", 2_000);
    await v.stop();
  }
}

describe("the daemon's JavaScriptCore option", () => {
  test("started without it: re-executed with it, same PID and arguments, output kept, no descriptor leaked, stops on SIGTERM", async () => {
    const bare = await daemonWith({ BUN_JSC_useDFGJIT: undefined });
    const set = await daemonWith({ BUN_JSC_useDFGJIT: "false" });
    expect(bare.environ).toContain("BUN_JSC_useDFGJIT=false");
    expect(bare.environ.filter((e) => e.startsWith("BUN_JSC_useDFGJIT="))).toHaveLength(1);
    expect(bare.argv).toEqual(bare.args);
    // Named after the binary still (ps, pgrep, the journal), not after the path it was re-executed through.
    expect(bare.comm).toBe(set.comm);
    expect(bare.comm).toStartWith("kalshi-bot");
    // The start banner and the cycles are the new image's: nothing printed by the first was lost or doubled.
    expect(bare.output.match(/cycle 1\b/g)?.length, bare.output).toBe(set.output.match(/cycle 1\b/g)?.length);
    expect(set.fds.length).toBeGreaterThan(0);
    expect(bare.fds).toEqual(set.fds);
    expect(bare.code, bare.output).toBe(0);
    expect(set.code, set.output).toBe(0);
  }, 240_000);

  test("an option the operator set is kept as it is, and nothing is re-executed", async () => {
    const kept = await daemonWith({ BUN_JSC_useDFGJIT: "true" });
    expect(kept.environ).toContain("BUN_JSC_useDFGJIT=true");
    expect(kept.environ).not.toContain("BUN_JSC_useDFGJIT=false");
    expect(kept.code, kept.output).toBe(0);
  }, 180_000);
});
