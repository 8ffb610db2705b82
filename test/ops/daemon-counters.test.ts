// Through the binary against the local exchange:
//   - one cycle number everywhere: the heartbeat, systemd's STATUS= line and `status`'s "Last
//     cycles" all name the ledger's cycle id (a daemon started on a ledger with history goes on
//     from it instead of restarting at 1);
//   - /metrics exposes the daemon's rate-limit waits, 429s, WebSocket reconnects and sequence gaps,
//     and they move when the exchange answers 429 and drops the WebSocket.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, startBin } from "../helpers/bin.ts";
import { tempDir } from "../helpers/bin.ts";
import { until } from "../helpers/until.ts";
import { NotifyListener } from "../deploy/notify-listener.ts";
import { daemonArgs, onceArgs, startVenue, writeBotConfig } from "../engine/e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const statusLines = (l: NotifyListener) => l.messages.flatMap((m) => m.split("\n")).filter((x) => x.startsWith("STATUS=cycle "));

describe("one cycle number", () => {
  test("heartbeat, STATUS= and Last cycles name the same cycle, continuing the ledger's history", async () => {
    const dir = tempDir("cycle-number-");
    const v = await startVenue(dir, { seed: 23 });
    const sock = join(dir, "notify.sock");
    const l = new NotifyListener(sock);
    try {
      const cfg = writeBotConfig(dir, v);
      for (let i = 0; i < 2; i++) {
        const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 90_000 });
        expect(r.code, r.output).toBe(0);
      }
      const hbPath = join(dir, "reports", "heartbeat.json");
      expect(JSON.parse(readFileSync(hbPath, "utf8")).cycle).toBe(2);
      const bot = startBin(daemonArgs(cfg, dir), { cwd: dir, env: { NOTIFY_SOCKET: sock } });
      await until(
        "STATUS=cycle 4",
        () => {
          l.poll();
          return statusLines(l).some((x) => x.startsWith("STATUS=cycle 4:"));
        },
        60_000,
        { pollMs: 50 },
      );
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);
      l.poll();
      // The daemon's first cycle is the ledger's third, and STATUS= says so.
      expect(statusLines(l)[0]).toMatch(/^STATUS=cycle 3: /);
      const st = JSON.parse((await runBin(["status", "--json", "--config", cfg], { cwd: dir })).stdout) as {
        heartbeat: { data: { cycle: number } };
        last_cycles: Array<{ id: number }>;
      };
      expect(st.heartbeat.data.cycle).toBe(st.last_cycles[0]!.id);
      expect(st.heartbeat.data.cycle).toBeGreaterThanOrEqual(4);
      const text = (await runBin(["status", "--config", cfg], { cwd: dir, env: { COLUMNS: "200" } })).stdout;
      const hbCycle = Number(/ cycle (\d+) every /.exec(text)![1]);
      const firstRow = Number(/^Last cycles:\s*\n\s+cycle.*\n\s+-+.*\n\s+#(\d+) /m.exec(text)![1]);
      expect(hbCycle).toBe(st.heartbeat.data.cycle);
      expect(firstRow).toBe(hbCycle);
    } finally {
      l.close();
      await v.stop();
    }
  }, 180_000);
});

function sample(text: string, name: string): number | null {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : null;
}

describe("/metrics counts the client's rate-limit and WebSocket trouble", () => {
  test("429s and WebSocket drops from the local exchange move the counters", async () => {
    const dir = tempDir("metrics-counters-");
    const v = await startVenue(dir, { seed: 29, faults: "429=0.1,ws_disconnect=0.05,ws_skip_seq=0.05" });
    const stopDrive = v.drive(100, 2_000);
    let dash: ReturnType<typeof startBin> | null = null;
    const bot = (() => {
      const cfg = writeBotConfig(dir, v);
      return { cfg, run: startBin(daemonArgs(cfg, dir), { cwd: dir }) };
    })();
    try {
      dash = startBin(["dashboard", "--port", "0", "--log-format", "plain", "--config", bot.cfg], { cwd: dir });
      const out = await dash.waitFor(/dashboard: http:\/\/127\.0\.0\.1:\d+\//, 15_000);
      const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]!;
      const seen = await until(
        "the 429 and WebSocket reconnect counters above 0 on /metrics",
        async () => {
          const text = await (await fetch(`${url}metrics`)).text();
          const got = {
            r429: sample(text, "kalshi_bot_rate_limited_total"),
            reconnects: sample(text, "kalshi_bot_ws_reconnects_total"),
            gaps: sample(text, "kalshi_bot_ws_seq_gaps_total"),
            waits: sample(text, "kalshi_bot_rate_limit_waits_total"),
            waited: sample(text, "kalshi_bot_rate_limit_wait_seconds_total"),
            text,
          };
          return (got.r429 ?? 0) > 0 && (got.reconnects ?? 0) > 0 ? got : null;
        },
        90_000,
        { pollMs: 250 },
      );
      expect(seen.text).toContain("# TYPE kalshi_bot_rate_limited_total counter");
      expect(seen.text).toContain("# TYPE kalshi_bot_ws_reconnects_total counter");
      // Present, and never below zero (they may well be 0 at prime tier and a quiet scenario).
      expect(seen.gaps).not.toBeNull();
      expect(seen.waits).toBeGreaterThanOrEqual(0);
      expect(seen.waited).toBeGreaterThanOrEqual(0);
      // The heartbeat carries the same counts the page was served from.
      const hb = JSON.parse(readFileSync(join(dir, "reports", "heartbeat.json"), "utf8"));
      expect(hb.counters.rate_limited_429).toBeGreaterThanOrEqual(seen.r429!);
      expect(hb.counters.ws_reconnects).toBeGreaterThanOrEqual(seen.reconnects!);
    } finally {
      stopDrive();
      await dash?.stop();
      await bot.run.stop("SIGTERM", 20_000);
      await v.stop();
    }
  }, 240_000);
});
