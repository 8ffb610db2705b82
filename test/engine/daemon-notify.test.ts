// The daemon speaks systemd's notify protocol (the unit is Type=notify with WatchdogSec), through the
// binary, with a unix datagram socket playing $NOTIFY_SOCKET:
//   - READY=1 once lock, database and session are up, BEFORE the first exchange request: an exchange
//     that is down at boot must not become a start timeout; the loop retries and says so in STATUS=.
//   - WATCHDOG=1 at half WATCHDOG_USEC while the loop turns (also while cycles fail).
//   - STATUS=cycle N: … after each cycle; STOPPING=1 on SIGTERM, exit 0.
// The hang verdict itself (withhold WATCHDOG=1) is a pure function, checked at its boundaries.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loopAlive } from "../../src/engine/bot.ts";
import { cleanup, ensureBinary, startBin, tempDir } from "../helpers/bin.ts";
import { NotifyListener } from "../deploy/notify-listener.ts";
import { daemonArgs, startVenue, writeBotConfig } from "./e2e-harness.ts";
import { until } from "../helpers/until.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const lines = (l: NotifyListener) => l.messages.flatMap((m) => m.split("\n"));

async function waitLine(l: NotifyListener, re: RegExp, ms: number): Promise<string> {
  const look = () => {
    l.poll();
    return lines(l).find((x) => re.test(x));
  };
  return until(`notify line ${re}`, look, ms, { pollMs: 50 }).catch((e: Error) => {
    throw new Error(`${e.message}; got:\n${lines(l).join("\n")}`);
  });
}

describe("daemon ↔ systemd notify", () => {
  test("READY=1, WATCHDOG=1 at half WATCHDOG_USEC, STATUS=cycle N per cycle, STOPPING=1 on SIGTERM", async () => {
    const dir = tempDir("notify-ok");
    const v = await startVenue(dir, { seed: 41 });
    const sock = join(dir, "notify.sock");
    const l = new NotifyListener(sock);
    try {
      const cfg = writeBotConfig(dir, v);
      const bot = startBin(daemonArgs(cfg, dir), { cwd: dir, env: { NOTIFY_SOCKET: sock, WATCHDOG_USEC: "1000000" } });
      await waitLine(l, /^READY=1$/, 30_000);
      const status = await waitLine(l, /^STATUS=cycle 2: /, 30_000);
      expect(status).toMatch(/^STATUS=cycle 2: (active|disabled|paused)/);
      // READY came first, and before any cycle summary.
      const all = lines(l);
      expect(all.indexOf("READY=1")).toBeLessThan(all.findIndex((x) => x.startsWith("STATUS=cycle 1:")));
      l.messages.length = 0;
      await Bun.sleep(1_600);
      l.poll();
      expect(lines(l).filter((x) => x === "WATCHDOG=1").length).toBeGreaterThanOrEqual(2);
      expect(await bot.stop("SIGTERM", 15_000)).toBe(0);
      l.poll();
      expect(lines(l)).toContain("STOPPING=1");
    } finally {
      l.close();
      await v.stop();
    }
  }, 120_000);

  test("exchange down at boot: READY=1 anyway, cycles fail with STATUS=, WATCHDOG=1 keeps flowing", async () => {
    const dir = tempDir("notify-down");
    const v = await startVenue(dir, { seed: 42 });
    const sock = join(dir, "notify.sock");
    const l = new NotifyListener(sock);
    try {
      // A port nobody listens on (the venue's own, once it stopped).
      const cfg = writeBotConfig(dir, v, { exchange: { request_timeout_ms: 500 } });
      await v.stop();
      const bot = startBin(daemonArgs(cfg, dir), { cwd: dir, env: { NOTIFY_SOCKET: sock, WATCHDOG_USEC: "1000000" } });
      await waitLine(l, /^READY=1$/, 30_000);
      const failed = await waitLine(l, /^STATUS=cycle 1: failed/, 60_000);
      expect(failed).toMatch(/retry in \d+ s$/);
      l.messages.length = 0;
      await Bun.sleep(1_600);
      l.poll();
      expect(lines(l).filter((x) => x === "WATCHDOG=1").length).toBeGreaterThanOrEqual(2);
      expect(await bot.stop("SIGTERM", 15_000)).toBe(0);
      l.poll();
      expect(lines(l)).toContain("STOPPING=1");
    } finally {
      l.close();
    }
  }, 120_000);

  test("hang verdict: interval + 2 × max(interval, 60 s) since the last finished iteration", () => {
    expect(loopAlive(0, 60_000 + 120_000 - 1, 60_000)).toBe(true);
    expect(loopAlive(0, 60_000 + 120_000, 60_000)).toBe(false);
    // Short cycles still get a minute's worth of slack twice over (slow reconcile, rate limits).
    expect(loopAlive(0, 1_000 + 120_000 - 1, 1_000)).toBe(true);
    expect(loopAlive(0, 1_000 + 120_000, 1_000)).toBe(false);
    expect(loopAlive(0, 300_000 + 600_000 - 1, 300_000)).toBe(true);
    expect(loopAlive(0, 300_000 + 600_000, 300_000)).toBe(false);
  });
});
