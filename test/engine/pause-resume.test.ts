// `kalshi-bot pause` / `resume` against a running daemon (cycles 60 s apart, live on the local
// exchange over 127.0.0.1): the pause takes effect without a restart, within seconds: resting
// orders cancelled, nothing new sent while the market moves, heartbeat `disabled`, status says why;
// resume trades again without waiting for the next interval.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, startBin, tempDir } from "../helpers/bin.ts";
import { daemonArgs, exchangeAccount, startVenue, writeBotConfig } from "./e2e-harness.ts";
import { until } from "../helpers/until.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

describe("pause and resume a running bot", () => {
  test("pause cancels resting orders and stops new ones within seconds; resume trades again; no restart", async () => {
    const dir = tempDir("e2e-pause");
    const v = await startVenue(dir, { seed: 61 });
    const stopDrive = v.drive(200, 2_000);
    try {
      const cfg = writeBotConfig(dir, v, { trading: { cycle_interval_seconds: 60 } });
      const bot = startBin(daemonArgs(cfg, dir), { cwd: dir });
      await bot.waitFor(/cycle 1 \(trade, LIVE\)/, 30_000);
      const resting = () => exchangeAccount(v).orders.filter((o) => o.status === "resting").length;
      await until("resting orders after the first cycle", () => resting() > 0, 10_000);
      const hb = () =>
        JSON.parse(readFileSync(join(dir, "reports/heartbeat.json"), "utf8")) as { status: string; kill_switch: boolean; pid: number };
      const pid = hb().pid;

      const p = await runBin(["pause", "--config", cfg, "--reason", "news at 14:00"], { cwd: dir });
      expect(p.code, p.output).toBe(0);
      expect(p.stdout).toMatch(/^paused: /);
      expect(existsSync(join(dir, "data", "disable-trading"))).toBe(true);
      await until("resting orders cancelled", () => resting() === 0, 15_000);
      await until("heartbeat disabled", () => hb().status === "disabled" && hb().kill_switch === true, 10_000);
      // The market keeps moving; nothing new may go out while paused.
      const sent = exchangeAccount(v).orders.length;
      await Bun.sleep(3_000);
      expect(exchangeAccount(v).orders.length).toBe(sent);
      const st = await runBin(["status", "--config", cfg], { cwd: dir });
      expect(st.stdout).toContain(`Paused:     ${join(dir, "data", "disable-trading")} exists: news at 14:00`);

      const r = await runBin(["resume", "--config", cfg], { cwd: dir });
      expect(r.code, r.output).toBe(0);
      expect(r.stdout).toMatch(/^resumed: /);
      await until("orders again after resume", () => exchangeAccount(v).orders.length > sent, 15_000);
      await until("heartbeat active", () => hb().status === "active", 10_000);
      expect(hb().pid).toBe(pid); // the same process throughout
      const again = await runBin(["resume", "--config", cfg], { cwd: dir });
      expect(again.stdout).toMatch(/^not paused: /);

      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    } finally {
      stopDrive();
      await v.stop();
    }
  }, 120_000);

  test("bad input: an empty --reason and an unwritable kill-switch folder are one line each", async () => {
    const dir = tempDir("pause-bad");
    const r = await runBin(["pause", "--reason", ""], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--reason needs a text");
    writeFileSync(
      join(dir, "advanced_config.json"),
      JSON.stringify({ paths: { kill_switch_file: "/proc/kalshi-bot-nowhere/disable-trading" } }),
    );
    const ro = await runBin(["pause"], { cwd: dir });
    expect(ro.code).toBe(2);
    expect(ro.stderr).toContain("cannot write /proc/kalshi-bot-nowhere/disable-trading");
    expect(ro.stderr.trim().split("\n")).toHaveLength(1);
    expect(ro.output).not.toMatch(/\n\s+at .+:\d+/);
  });
});
