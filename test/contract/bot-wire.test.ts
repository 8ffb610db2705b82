// The bot's real traffic held against Kalshi's published contract. The compiled daemon trades
// against the local exchange through a recording proxy on 127.0.0.1 (test/contract/recording-proxy.ts);
// afterwards every WebSocket command the bot sent validates against the AsyncAPI command schemas,
// every WebSocket message the exchange sent against the AsyncAPI payload schemas, and every REST
// answer against the OpenAPI response schema of its endpoint (V2 order endpoints, which the OpenAPI
// document predates, against the official SDK's generated V2 models).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cleanup, ensureBinary, startBin, tempDir } from "../helpers/bin.ts";
import { daemonArgs, startVenue, writeBotConfig } from "../engine/e2e-harness.ts";
import { startRecordingProxy } from "./recording-proxy.ts";
import { problemsOf } from "./wire-check.ts";
import { until } from "../helpers/until.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

describe("the bot's traffic with the local exchange follows Kalshi's published contract", () => {
  test("daemon run through a recording proxy: every command, message and REST answer validates", async () => {
    const dir = tempDir("kbot-contract-");
    const v = await startVenue(dir, { seed: 7, startMs: Date.UTC(2026, 5, 10, 13, 0, 0) });
    const proxy = startRecordingProxy(new URL(v.sim.baseUrl).origin);
    const stopDrive = v.drive(100, 5_000);
    try {
      const cfg = writeBotConfig(dir, v, { exchange: { base_url: proxy.baseUrl } });
      const bot = startBin(daemonArgs(cfg, dir), { cwd: dir });
      await bot.waitFor(/websocket connected/, 60_000);
      const types = () => new Set(proxy.rec.messages.map((m) => (m as { type?: string }).type));
      const want = ["subscribed", "orderbook_snapshot", "orderbook_delta", "user_order", "fill", "market_lifecycle_v2"];
      const placed = () =>
        proxy.rec.rest.some((r) => r.method === "POST" && r.path.includes("/portfolio/events/orders")) &&
        proxy.rec.rest.some((r) => r.path.includes("/portfolio/fills"));
      // On a timeout the expectations below name what is missing.
      await until("every message type seen and an order placed", () => want.every((t) => types().has(t)) && placed(), 100_000, {
        pollMs: 50,
      }).catch(() => null);
      await bot.stop();
      if (process.env.CONTRACT_DUMP) await Bun.write(process.env.CONTRACT_DUMP, JSON.stringify({ types: [...types()], rec: proxy.rec }));
      expect(want.filter((t) => !types().has(t))).toEqual([]);
      const { problems, restChecked, uncovered } = problemsOf(proxy.rec);
      expect(problems.slice(0, 20)).toEqual([]);
      // The bot's core endpoints were seen and checked (not skipped for want of a schema).
      for (const e of [
        "GET /events",
        "GET /portfolio/balance",
        "GET /portfolio/positions",
        "GET /portfolio/fills",
        "GET /portfolio/orders",
        "GET /series/{series_ticker}",
      ])
        expect(restChecked).toContain(e);
      expect([...restChecked].some((k) => k.startsWith("POST ^\\/portfolio\\/events\\/orders"))).toBe(true);
      expect([...uncovered]).toEqual([]);
      expect(proxy.rec.commands.length).toBeGreaterThan(0);
    } finally {
      stopDrive();
      proxy.stop();
      await v.stop();
    }
  }, 180_000);
});
