// The daemon's idle line and SIGUSR1, what the paper vs live bench steps its venues by
// (test/engine/parity-run.ts): between cycles the daemon says it is idle once it has answered
// everything it received, with the counts of frames received and requests sent, which match what
// the exchange sent and received; SIGUSR1 starts a cycle at once, long before the interval runs out.
// Through the binary as a daemon with its WebSocket books, against the local exchange.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Account } from "../../src/sim/accounts.ts";
import { cleanup, ensureBinary, startBin, tempDir } from "../helpers/bin.ts";
import { until } from "../helpers/until.ts";
import { daemonArgs, onceArgs, QUIET_TICKER, quietMakerOnly, quietMarket, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const TICKER = QUIET_TICKER;
const scenario = quietMarket("daemon-idle");

const IDLE = /idle: after cycle (\d+), (\d+) frames received, (\d+) requests sent/g;

describe("daemon idle line and SIGUSR1", () => {
  for (const dryRun of [false, true]) {
    test(`${dryRun ? "paper" : "live"}: idle after everything the exchange sent; SIGUSR1 runs a cycle now`, async () => {
      const dir = tempDir("daemon-idle-");
      const v = await startVenue(dir, { seed: 1, scenario });
      try {
        const strategies = quietMakerOnly({ stop_before_close_minutes: 0 });
        // A day between cycles: any second cycle here is the signal's.
        const cfg = writeBotConfig(dir, v, { trading: { dry_run: dryRun, cycle_interval_seconds: 86_400, strategies } });
        const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
        const idle = (cycles: number) =>
          until(
            `idle after cycle ${cycles}, matching the exchange's traffic`,
            () => {
              const all = [...bot.output().matchAll(IDLE)];
              const m = all.at(-1);
              if (!m) return null;
              const t = v.sim.traffic();
              const [c, f, r] = [Number(m[1]), Number(m[2]), Number(m[3])];
              return c === cycles && f === t.framesSent && r === t.requestsReceived && t.requestsReceived === t.requestsAnswered
                ? { frames: f, requests: r }
                : null;
            },
            30_000,
          );
        const first = await idle(1);
        // Subscribed (snapshots received) and the first cycle's requests all counted.
        expect(first.frames).toBeGreaterThan(0);
        expect(first.requests).toBeGreaterThan(0);
        // A trade through the market moves the book: the daemon hears it, answers, and is idle again.
        const ex = v.sim.exchange;
        ex.addAccount(new Account("taker", 1_000_000_000));
        ex.placeOrder("taker", { ticker: TICKER, side: "bid", price: 5000, count: 500, tif: "immediate_or_cancel", stp: "taker_at_cross" });
        const moved = await idle(1);
        expect(moved.frames).toBeGreaterThan(first.frames);
        bot.proc.kill("SIGUSR1");
        const second = await idle(2);
        expect(second.requests).toBeGreaterThan(moved.requests);
        expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
      } finally {
        await v.stop();
      }
    }, 120_000);
  }

  test("stepped venue (exchange.clock stepped): a book move is held until SIGUSR2, then answered; the idle line counts the release", async () => {
    const dir = tempDir("daemon-release-");
    const v = await startVenue(dir, { seed: 1, scenario });
    try {
      const strategies = quietMakerOnly({ stop_before_close_minutes: 0 });
      const cfg = writeBotConfig(dir, v, {
        exchange: { clock: "stepped" },
        trading: { dry_run: true, cycle_interval_seconds: 86_400, strategies },
      });
      const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
      const RELEASED = /idle: after cycle (\d+), (\d+) frames received, (\d+) requests sent, (\d+) releases/g;
      const idle = (releases: number) =>
        until(
          `idle after ${releases} releases, matching the exchange's traffic`,
          () => {
            const m = [...bot.output().matchAll(RELEASED)].at(-1);
            const t = v.sim.traffic();
            return m && Number(m[4]) === releases && Number(m[2]) === t.framesSent && t.requestsReceived === t.requestsAnswered
              ? bot.output().length
              : null;
          },
          30_000,
        );
      await idle(0);
      // Another account bids just under the ask: the market's fair value moves, our quotes would
      // follow; held, nothing decides on it yet.
      const ex = v.sim.exchange;
      ex.addAccount(new Account("poker", 1_000_000_000_000));
      const o0 = bot.output().length;
      const top = ex.top(TICKER);
      ex.placeOrder("poker", {
        ticker: TICKER,
        side: "bid",
        price: top.ask - 100,
        count: 5_000,
        tif: "good_till_canceled",
        stp: "taker_at_cross",
      });
      const held = await idle(0);
      const answers = /reactive pass: |narrow requote /;
      expect(bot.output().slice(o0, held)).not.toMatch(answers);
      // The harness says the step is in: the held move is answered, once, and the line counts it.
      bot.proc.kill("SIGUSR2");
      await idle(1);
      expect(bot.output().slice(held)).toMatch(answers);
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    } finally {
      await v.stop();
    }
  }, 120_000);

  test("stepped venue: an order's renewal waits for the exchange's time, not this machine's; the next cycle renews it", async () => {
    const dir = tempDir("daemon-stepped-ttl-");
    const v = await startVenue(dir, { seed: 1, scenario });
    try {
      const strategies = quietMakerOnly({ stop_before_close_minutes: 0 });
      // Quotes expire 10 s after they are sent, renewed from 5 s on, on the exchange's clock.
      const cfg = writeBotConfig(dir, v, {
        exchange: { clock: "stepped" },
        trading: { dry_run: false, cycle_interval_seconds: 86_400, order_ttl_seconds: 10, strategies },
      });
      const bot = startBin([...daemonArgs(cfg, dir), "--verbose"], { cwd: dir });
      await until("idle after cycle 1", () => [...bot.output().matchAll(IDLE)].some((m) => m[1] === "1") || null, 30_000);
      // 7 s of this machine's time, none of the exchange's: nothing is due there yet.
      await Bun.sleep(7_000);
      expect(bot.output()).not.toMatch(/cycle 2 \(/);
      // The exchange's time moves past the renewal point; the cycle asked for renews the quotes.
      bot.proc.kill("SIGSTOP");
      v.step(6_000);
      bot.proc.kill("SIGCONT");
      bot.proc.kill("SIGUSR1");
      await bot.waitFor(/renewal: 2 of 2 order\(s\) past half their 10 s TTL cancelled/, 30_000);
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
    } finally {
      await v.stop();
    }
  }, 120_000);

  test("--once: SIGUSR1 in the middle of the run is ignored; the cycle finishes and the run exits 0", async () => {
    const dir = tempDir("once-usr1-");
    // Every request answered 300 ms late: the one cycle takes seconds, time to signal it mid-run.
    const v = await startVenue(dir, { seed: 1, scenario, faults: "slow=1,slow_ms=300" });
    try {
      const strategies = quietMakerOnly({ stop_before_close_minutes: 0 });
      const cfg = writeBotConfig(dir, v, { trading: { dry_run: true, strategies } });
      const bot = startBin(onceArgs(cfg, dir), { cwd: dir });
      // A request reached the exchange: the run is past its start-up, in its cycle.
      const before = await until("the run's first request", () => v.sim.traffic().requestsReceived || null, 30_000);
      expect(bot.proc.exitCode).toBeNull();
      bot.proc.kill("SIGUSR1");
      expect(await bot.exited, bot.output()).toBe(0);
      // The run went on after the signal (unhandled, SIGUSR1 ends a process at once: exit 138).
      expect(v.sim.traffic().requestsReceived).toBeGreaterThan(before);
    } finally {
      await v.stop();
    }
  }, 120_000);
});
