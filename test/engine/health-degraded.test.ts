// Health that tells the truth (issue 10, item 8), through the binary against `kalshi-bot sim` in its
// own process (so it can be frozen and restarted):
//   - the exchange hung (SIGSTOP): the daemon keeps running, the heartbeat turns `degraded` with the
//     reason and stays fresh, and `watchdog` says "degraded: the exchange is failing or not
//     answering" (exit 6), not "stale"; when the exchange answers again the bot is `active` and healthy;
//   - the exchange restarted empty (the bot's positions gone): the daemon keeps running and refuses
//     to trade, the heartbeat says `error` with "positions disagree", `watchdog` exits 6 with that;
//   - a cycle left hanging by requests that never answer (long timeout): `degraded` once overdue.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { cleanup, ensureBinary, runBin, startBin, tempDir, writeConfig, type Running } from "../helpers/bin.ts";
import { until as untilWith } from "../helpers/until.ts";
import { E2E_START_MS, type PinnedClock, pinChildClock } from "../helpers/calendar.ts";

// The heartbeat and the ledger may not be written yet when the first looks come.
const until = <T>(what: string, f: () => T | null | undefined | false, ms: number) => untilWith(what, f, ms, { tolerateErrors: true });

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());
// Every child (the bot, and the exchange it starts or talks to) runs at the pinned calendar date.
let calendar: PinnedClock;
beforeAll(() => {
  calendar = pinChildClock(tempDir("calendar"), E2E_START_MS);
});
afterAll(() => calendar.release());

/** The line `kalshi-bot sim` prints its REST base on (its output may start with the pinned-clock notice). */
const SIM_URL = /^http:\/\/127\.0\.0\.1:\d+\/trade-api\/v2$/m;
const simUrl = (out: string): string => SIM_URL.exec(out)![0];

interface Hb {
  status: string;
  last_error: string | null;
  updated_at: string;
  cycle: number;
}

function positions(dir: string): number {
  const d = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  try {
    return (d.query("select count(*) as n from positions where paper = 0 and position != 0").get() as { n: number }).n;
  } finally {
    d.close();
  }
}

describe("heartbeat and watchdog while the exchange is hung or restarted empty", () => {
  test("a cycle hung on an exchange that does not answer (long request timeout): degraded with why, before the heartbeat would go stale", async () => {
    const dir = tempDir("health-hung-");
    const kp = generateKeyPair();
    writeFileSync(join(dir, "key.pem"), kp.privateKeyPem, { mode: 0o600 });
    writeFileSync(join(dir, "pub.pem"), kp.publicKeyPem);
    const sim = startBin(
      [
        "sim",
        "--port",
        "0",
        "--seed",
        "61",
        "--tier",
        "prime",
        "--api-key-id",
        "health-key",
        "--public-key",
        join(dir, "pub.pem"),
        "--balance",
        "1000",
      ],
      { cwd: dir },
    );
    const base = simUrl(await sim.waitFor(SIM_URL, 30_000));
    const series = ((await (await fetch(`${base}/series`)).json()) as { series: Array<{ ticker: string }> }).series.map((x) => x.ticker);
    const cfg = writeConfig(dir, {
      exchange: {
        environment: "sim",
        base_url: base,
        api_key_id: "health-key",
        private_key_path: "key.pem",
        rate_tier: "prime",
        request_timeout_ms: 120_000,
      },
      trading: {
        dry_run: false,
        autonomous_mode: true,
        non_interactive: true,
        cycle_interval_seconds: 2,
        series_tickers: series,
        websocket: false,
        strategies: { market_maker: { enabled: true } },
      },
      risk: { max_orders_per_minute: 600, max_daily_loss_dollars: "500", max_drawdown_pct: 90 },
      paths: { lock_file: "bot.lock" },
    });
    const bot = startBin(["--config", cfg, "--mode", "trade", "--skip-setup-wizard", "--non-interactive", "--log-format", "plain"], {
      cwd: dir,
    });
    const hb = (): Hb => JSON.parse(readFileSync(join(dir, "reports/heartbeat.json"), "utf8")) as Hb;
    try {
      await until("an active heartbeat after a cycle", () => hb().status === "active" && hb().cycle >= 2, 60_000);
      process.kill(sim.pid, "SIGSTOP");
      try {
        // Requests wait up to 120 s each; the cycle is overdue after max(2 s, 30 s).
        const h = await until("heartbeat degraded by the overdue cycle", () => (hb().status === "degraded" ? hb() : null), 60_000);
        expect(h.last_error).toMatch(/^cycle \d+ has run \d+ s \(interval 2 s\): the exchange is slow or not answering/);
        const wd = await runBin(["watchdog", "--config", cfg], { cwd: dir });
        expect(wd.code, wd.output).toBe(6);
        expect(wd.stderr).toMatch(/unhealthy: degraded: the exchange is failing or not answering \(cycle \d+ has run/);
      } finally {
        process.kill(sim.pid, "SIGCONT");
      }
      await until("active again", () => hb().status === "active", 60_000);
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    } finally {
      await bot.stop("SIGKILL").catch(() => {});
      await sim.stop("SIGKILL").catch(() => {});
    }
  }, 200_000);

  test("hung: degraded and fresh, healthy again after; restarted empty: error naming the disagreement, daemon still running", async () => {
    const dir = tempDir("health-");
    const kp = generateKeyPair();
    writeFileSync(join(dir, "key.pem"), kp.privateKeyPem, { mode: 0o600 });
    writeFileSync(join(dir, "pub.pem"), kp.publicKeyPem);
    const simArgs = (port: number) => [
      "sim",
      "--port",
      String(port),
      "--seed",
      "61",
      "--tier",
      "prime",
      "--api-key-id",
      "health-key",
      "--public-key",
      join(dir, "pub.pem"),
      "--balance",
      "1000",
    ];
    let sim: Running = startBin(simArgs(0), { cwd: dir });
    const base = simUrl(await sim.waitFor(SIM_URL, 30_000));
    const port = Number(new URL(base).port);
    // Live trading needs an explicit scope: every series of the local exchange.
    const series = ((await (await fetch(`${base}/series`)).json()) as { series: Array<{ ticker: string }> }).series.map((x) => x.ticker);
    const cfg = writeConfig(dir, {
      exchange: {
        environment: "sim",
        base_url: base,
        api_key_id: "health-key",
        private_key_path: "key.pem",
        rate_tier: "prime",
        request_timeout_ms: 1_000,
      },
      // The market maker (shipped disabled) trades, so the bot holds positions the restart takes away.
      trading: {
        dry_run: false,
        autonomous_mode: true,
        non_interactive: true,
        cycle_interval_seconds: 2,
        reconcile_every_cycles: 1,
        series_tickers: series,
        strategies: { market_maker: { enabled: true } },
      },
      risk: { max_orders_per_minute: 600, max_daily_loss_dollars: "500", max_drawdown_pct: 90 },
      paths: { lock_file: "bot.lock" },
    });
    const bot = startBin(["--config", cfg, "--mode", "trade", "--skip-setup-wizard", "--non-interactive", "--log-format", "plain"], {
      cwd: dir,
    });
    const hb = (): Hb => JSON.parse(readFileSync(join(dir, "reports/heartbeat.json"), "utf8")) as Hb;
    const watchdog = () => runBin(["watchdog", "--config", cfg], { cwd: dir });
    try {
      await until("an active heartbeat after a cycle", () => hb().status === "active" && hb().cycle >= 2, 60_000).catch((e) => {
        throw new Error(`${(e as Error).message}\n${bot.output().slice(-3000)}`);
      });
      const healthy = await watchdog();
      expect(healthy.code, healthy.output).toBe(0);
      // Trade until the bot holds a position (the restart below must take something away).
      await until("a position in the ledger", () => positions(dir) > 0, 60_000);

      // ---- the exchange hangs ----
      process.kill(sim.pid, "SIGSTOP");
      try {
        const h = await until("heartbeat degraded", () => (hb().status === "degraded" ? hb() : null), 60_000);
        expect(h.last_error).toBeTruthy();
        const wd = await watchdog();
        expect(wd.code, wd.output).toBe(6);
        expect(wd.stderr).toMatch(
          /unhealthy: degraded: the exchange is failing or not answering \(.+\); the bot \(PID \d+\) keeps retrying/,
        );
        // Fresh while degraded: rewritten as cycles keep failing, never left to go stale.
        const first = Date.parse(hb().updated_at);
        await until("the degraded heartbeat rewritten", () => Date.parse(hb().updated_at) > first && hb().status === "degraded", 30_000);
        expect((await watchdog()).stderr).not.toMatch(/stale/);
      } finally {
        process.kill(sim.pid, "SIGCONT");
      }
      await until("active again", () => hb().status === "active", 60_000);
      expect((await watchdog()).code).toBe(0);

      // ---- the exchange restarts empty on the same address ----
      expect(await sim.stop("SIGTERM", 10_000)).toBe(0);
      sim = startBin(simArgs(port), { cwd: dir });
      await sim.waitFor(SIM_URL, 30_000);
      const e = await until(
        "heartbeat error naming the disagreement",
        () => (hb().status === "error" && /positions disagree/.test(hb().last_error ?? "") ? hb() : null),
        60_000,
      );
      expect(e.last_error).toMatch(/positions disagree with the exchange/);
      const wd = await watchdog();
      expect(wd.code, wd.output).toBe(6);
      expect(wd.stderr).toMatch(/bot status is error, not active: .*positions disagree/);
      // The daemon keeps running (and refusing to trade) rather than exiting into a restart loop.
      expect(bot.proc.exitCode).toBeNull();
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    } finally {
      await bot.stop("SIGKILL").catch(() => {});
      await sim.stop("SIGKILL").catch(() => {});
    }
  }, 300_000);
});
