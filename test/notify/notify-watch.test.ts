// The notifier on a ledger written by the engine's own Ledger class (real SQLite files):
//   - through the binary: `kalshi-bot dashboard` with notify.from "dashboard" announces a
//     rejection, fills (never the history before it started), a risk halt, reconciliation drift
//     and a pause; a Telegram that refuses (401) is logged without the token while the webhook
//     still gets everything;
//   - the daily P&L summary at the end of the trading day in risk.timezone, once, not again after
//     a restart (the watcher with a pinned clock: a day boundary cannot be waited for);
//   - the outbox: duplicates dropped, the per-minute budget kept with the drops counted, a
//     channel that never answers bounded by the timeout.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, startBin, tempDir, writeConfig } from "../helpers/bin.ts";
import { openDb } from "../../src/db/open.ts";
import { Ledger } from "../../src/engine/ledger.ts";
import { loadConfig } from "../../src/config/load.ts";
import { LedgerWatcher, type NotifyEvent } from "../../src/notify/watcher.ts";
import { Outbox } from "../../src/notify/outbox.ts";
import { WebhookChannel } from "../../src/notify/channels.ts";
import { writeHeartbeat } from "../../src/ops/heartbeat.ts";
import { startFakeTelegram } from "./fake-telegram.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const TOKEN = "7000002:AAAnotherFakeTokenForTests_0123456789";
const ALL: NotifyEvent[] = ["fills", "rejections", "risk", "pause", "drift", "start_stop", "daily_summary"];

function order(ledger: Ledger, id: string, ticker: string) {
  return ledger.insertPending([
    {
      clientOrderId: id,
      ticker,
      side: "bid",
      price: 4_200,
      count: 300,
      timeInForce: "good_till_canceled",
      postOnly: false,
      reduceOnly: false,
      eventTicker: null,
      strategy: "market_maker",
      reason: "quote",
      orderGroupId: null,
      groupKey: null,
      cycleId: null,
    },
  ])[0]!;
}

describe("notifier on a ledger", () => {
  test("kalshi-bot dashboard with notify.from=dashboard: rejection, fills, halt, drift, pause; a refusing Telegram is logged without its token", async () => {
    const dir = tempDir("notify-watch");
    const tg = startFakeTelegram(TOKEN);
    tg.failWith.telegram = 401;
    try {
      writeConfig(dir, {
        paths: { lock_file: "bot.lock" },
        notify: {
          from: "dashboard",
          telegram: { bot_token: TOKEN, chat_id: "42", api_base_url: tg.baseUrl },
          webhook_url: tg.webhookUrl,
          fill_batch_seconds: 1,
        },
      });
      const db = openDb(join(dir, "data/kalshi.sqlite"));
      const ledger = new Ledger(db, true);
      // History from before the notifier started: never announced.
      ledger.recordFill({
        fillId: "old-1",
        orderId: null,
        clientOrderId: null,
        ticker: "KXOLD-1",
        side: "bid",
        price: 5_000,
        count: 100,
        feeMicros: 10_000,
        isTaker: true,
        tsMs: Date.now() - 3_600_000,
      });
      const d = startBin(["dashboard", "--port", "0", "--log-format", "plain"], { cwd: dir });
      await d.waitFor(/notifications: telegram and webhook/, 15_000);

      const o = order(ledger, "c-rej-1", "KXREJ-26-T1");
      ledger.updateOrder(o.id, { status: "rejected", error: "insufficient_balance: not enough cash" }, "rejected by the exchange");
      const rej = await tg.waitSent(/1 order\(s\) rejected/, 15_000, "webhook");
      expect(rej).toContain("buy YES 3.00 KXREJ-26-T1 @ 0.4200 (market_maker): insufficient_balance: not enough cash");

      ledger.recordFill({
        fillId: "f-1",
        orderId: "o-1",
        clientOrderId: "c-1",
        ticker: "KXNEW-26-T1",
        side: "bid",
        price: 4_200,
        count: 200,
        feeMicros: 20_000,
        isTaker: true,
        tsMs: Date.now(),
      });
      ledger.recordFill({
        fillId: "f-2",
        orderId: "o-2",
        clientOrderId: "c-2",
        ticker: "KXNEW-26-T2",
        side: "ask",
        price: 7_000,
        count: 100,
        feeMicros: 0,
        isTaker: false,
        tsMs: Date.now(),
      });
      const fills = await tg.waitSent(/fill\(s\)/, 15_000, "webhook");
      expect(fills).toContain("2 fill(s), fees $0.02, cash -$1.16");
      expect(fills).toContain("bought 2.00 YES KXNEW-26-T1 @ 0.4200 (fee $0.02)");
      expect(fills).toContain("bought 1.00 NO KXNEW-26-T2 @ 0.3000 (fee $0.00)");
      expect(fills).not.toContain("KXOLD");

      ledger.audit("risk_state", "active → halted: daily loss $30.00 ≥ limit $25.00");
      expect(await tg.waitSent(/HALTED by a risk limit: active → halted: daily loss \$30\.00/, 15_000, "webhook")).toContain(
        "--reset-halt",
      );
      ledger.audit("reconcile_failed", "positions disagree: KXNEW-26-T1 ledger 2 vs exchange 0");
      await tg.waitSent(/reconciliation found drift, trading stopped until it agrees: positions disagree: KXNEW-26-T1/, 15_000, "webhook");

      const p = await runBin(["pause", "--reason", "maintenance"], { cwd: dir });
      expect(p.code, p.output).toBe(0);
      await tg.waitSent(/PAUSED: maintenance \(by kalshi-bot pause/, 15_000, "webhook");
      await runBin(["resume"], { cwd: dir });
      await tg.waitSent(/: resumed; trading from its next cycle/, 15_000, "webhook");

      // Each event once; Telegram refused every message and said why, without the token.
      expect(tg.hooks.filter((h) => /rejected/.test(h.text)).length).toBe(1);
      expect(tg.hooks.filter((h) => /fill\(s\)/.test(h.text)).length).toBe(1);
      await d.waitFor(/notification not delivered \(telegram: HTTP 401 Unauthorized\); trading is not affected/, 10_000);
      expect(tg.sent.length).toBe(0);
      expect(d.output()).not.toContain(TOKEN);
      expect(d.output()).not.toContain(TOKEN.split(":")[1]!);
      expect(await d.stop()).toBe(0);
      db.$client.close();
    } finally {
      tg.stop();
    }
  }, 120_000);

  test("config show redacts the Telegram token, the webhook URL's path and the dashboard token; a short token is refused by name", async () => {
    const dir = tempDir("notify-config");
    writeConfig(dir, {
      notify: { telegram: { bot_token: TOKEN, chat_id: 42 }, webhook_url: "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX" },
      dashboard: { token: "dashboard-secret-0123456789" },
    });
    const r = await runBin(["config", "show"], { cwd: dir });
    expect(r.code, r.output).toBe(0);
    const shown = JSON.parse(r.stdout) as {
      notify: { telegram: { bot_token: string; chat_id: string }; webhook_url: string };
      dashboard: { token: string };
    };
    expect(shown.notify.telegram.bot_token).toBe("(redacted)");
    expect(shown.notify.telegram.chat_id).toBe("42");
    expect(shown.notify.webhook_url).toBe("https://hooks.slack.com/…(redacted)");
    expect(shown.dashboard.token).toBe("(redacted)");
    for (const secret of [TOKEN, "XXXXSECRETXXXX", "dashboard-secret"]) expect(r.output).not.toContain(secret);
    writeConfig(dir, { notify: { telegram: { bot_token: "123:short" } } });
    const bad = await runBin(["config", "show"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("notify.telegram.bot_token");
    expect(bad.output).not.toContain("123:short");
  });

  test("daily summary at the end of the trading day in risk.timezone, once, also across a restart", () => {
    const dir = tempDir("notify-daily");
    const cfgPath = writeConfig(dir, { paths: { lock_file: "bot.lock" }, risk: { timezone: "America/New_York" } });
    const loaded = loadConfig({ configPath: cfgPath });
    const db = openDb(loaded.paths.database);
    const ledger = new Ledger(db, true);
    // 2026-03-10 in New York (EDT, UTC−4): 23:30 local = 03:30 UTC next day.
    const day = Date.UTC(2026, 2, 11, 3, 30);
    ledger.recordFill({
      fillId: "d-1",
      orderId: null,
      clientOrderId: null,
      ticker: "KXD-1",
      side: "bid",
      price: 4_000,
      count: 500,
      feeMicros: 35_000,
      isTaker: true,
      tsMs: day,
    });
    ledger.recordFill({
      fillId: "d-2",
      orderId: null,
      clientOrderId: null,
      ticker: "KXD-1",
      side: "ask",
      price: 5_000,
      count: 500,
      feeMicros: 35_000,
      isTaker: true,
      tsMs: day + 60_000,
    });
    let now = day + 20 * 60_000; // 23:50 local
    const sent: string[] = [];
    const mk = () => new LedgerWatcher({ loaded, events: new Set(ALL), send: (t) => sent.push(t), fillBatchMs: 1_000, now: () => now });
    const w = mk();
    w.init();
    w.poll();
    expect(sent).toEqual([]);
    now = day + 31 * 60_000; // 00:01 local on 2026-03-11
    w.poll();
    expect(sent.length).toBe(1);
    expect(sent[0]).toBe(
      "kalshi-bot (sim, paper): trading day 2026-03-10 (America/New_York): realized P&L $0.50 before fees, fees $0.07, net cash +$0.43; 2 fill(s) (10.00 contracts), 0 settlement(s), 0 order(s) sent",
    );
    w.poll();
    expect(sent.length).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, "reports/notify-state.json"), "utf8"))).toEqual({ last_summary_day: "2026-03-10" });
    // A restart just before midnight (clock set back for the test): the same day is not summarized twice.
    now = day + 25 * 60_000;
    const again = mk();
    again.init();
    now = day + 40 * 60_000;
    again.poll();
    expect(sent.length).toBe(1);
    db.$client.close();
  });

  test("start and stop from the heartbeat: one message each, the exit's cancels when the heartbeat has them", () => {
    const dir = tempDir("notify-startstop");
    const cfgPath = writeConfig(dir, { paths: { lock_file: "bot.lock" } });
    const loaded = loadConfig({ configPath: cfgPath });
    const base = {
      updated_at: new Date().toISOString(),
      pid: 4242,
      version: "0.1.0",
      mode: "trade" as const,
      environment: "sim" as const,
      dry_run: true,
      cycle: 7,
      cycle_interval_seconds: 60,
      next_cycle_at: null,
      bankroll: { cash_dollars: "990.00", portfolio_value_dollars: "10.00", total_dollars: "1000.00" },
      open_orders: 0,
      last_error: null,
      kill_switch: false,
      rss_bytes: 1,
      started_at: "2026-03-10T12:00:00.000Z",
    };
    // A previous bot's final heartbeat: not announced.
    writeHeartbeat(loaded.paths.heartbeat, { ...base, pid: 4000, started_at: "2026-03-09T12:00:00.000Z", status: "stopped" });
    const sent: string[] = [];
    const w = new LedgerWatcher({ loaded, events: new Set(ALL), send: (t) => sent.push(t), fillBatchMs: 1_000 });
    w.init();
    w.poll();
    expect(sent).toEqual([]);
    writeHeartbeat(loaded.paths.heartbeat, { ...base, status: "starting", cycle: 0 });
    w.poll();
    writeHeartbeat(loaded.paths.heartbeat, { ...base, status: "active" });
    w.poll();
    expect(sent).toEqual(["kalshi-bot (sim, paper): started (PID 4242, kalshi-bot 0.1.0, trade mode, one cycle every 60 s)"]);
    writeHeartbeat(loaded.paths.heartbeat, {
      ...base,
      status: "stopped",
      exit_orders: { policy: "cancel", canceled: 3, not_canceled: 1, kept: 0, reason: null },
    });
    w.poll();
    w.poll();
    expect(sent.slice(1)).toEqual([
      "kalshi-bot (sim, paper): stopped after cycle 7: 0 open order(s) left, 3 resting order(s) cancelled on exit, 1 could not be, bankroll $1000.00",
    ]);
  });

  test("a degraded heartbeat (the exchange failing, issue 10) is announced with its reason, like an error", () => {
    const dir = tempDir("notify-degraded");
    const cfgPath = writeConfig(dir, { paths: { lock_file: "bot.lock" } });
    const loaded = loadConfig({ configPath: cfgPath });
    const base = {
      updated_at: new Date().toISOString(),
      pid: 4343,
      version: "0.1.0",
      mode: "trade" as const,
      environment: "sim" as const,
      dry_run: true,
      cycle: 9,
      cycle_interval_seconds: 60,
      next_cycle_at: null,
      bankroll: null,
      open_orders: 0,
      kill_switch: false,
      rss_bytes: 1,
      started_at: "2026-03-10T12:00:00.000Z",
    };
    const sent: string[] = [];
    const w = new LedgerWatcher({ loaded, events: new Set(ALL), send: (t) => sent.push(t), fillBatchMs: 1_000 });
    w.init();
    writeHeartbeat(loaded.paths.heartbeat, { ...base, status: "active", last_error: null });
    w.poll();
    writeHeartbeat(loaded.paths.heartbeat, { ...base, status: "degraded", last_error: "GET /portfolio/balance: timeout after 1000 ms" });
    w.poll();
    w.poll();
    expect(sent.slice(1)).toEqual(["kalshi-bot (sim, paper): cycle 9 failed: GET /portfolio/balance: timeout after 1000 ms"]);
  });

  test("outbox: duplicates dropped, per-minute budget kept and the drops counted, a silent channel bounded by the timeout", async () => {
    const got: string[] = [];
    let hang = false;
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const body = (await req.json()) as { text: string };
        if (hang) return new Promise<Response>(() => {}); // never answers
        got.push(body.text);
        return new Response("ok");
      },
    });
    try {
      let now = 1_000_000;
      const warnings: string[] = [];
      const box = new Outbox([new WebhookChannel(`http://127.0.0.1:${server.port}/hook`)], {
        timeoutMs: 500,
        maxPerMinute: 3,
        warn: (m) => warnings.push(m),
        now: () => now,
      });
      expect(box.send("one", "k1")).toBe(true);
      expect(box.send("one again", "k1")).toBe(false); // same key: a duplicate
      expect(box.send("two")).toBe(true);
      expect(box.send("three")).toBe(true);
      expect(box.send("four")).toBe(false); // fourth within the minute
      expect(box.send("five")).toBe(false);
      now += 61_000;
      expect(box.send("six")).toBe(true);
      await box.flush(5_000);
      expect(got).toEqual(["one", "two", "three", "six\n(2 earlier notification(s) dropped: more than 3 a minute)"]);

      hang = true;
      const slow = new Outbox([new WebhookChannel(`http://127.0.0.1:${server.port}/hook`)], {
        timeoutMs: 300,
        maxPerMinute: 10,
        warn: (m) => warnings.push(m),
      });
      slow.send("into the void");
      await slow.flush(10_000);
      expect(warnings).toEqual(["notification not delivered (webhook: timed out); trading is not affected"]);
    } finally {
      server.stop(true);
    }
  });
});
