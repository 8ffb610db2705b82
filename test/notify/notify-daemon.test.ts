// Notifications through the binary: the daemon trading live on the local exchange (in-process,
// 127.0.0.1) with a fake Telegram Bot API and a webhook receiver on loopback. Start, batched
// fills, Telegram commands from the allowed chat only (a stranger's and a queued old one are
// ignored), pause/resume, a deposit recorded as drift, a risk halt and the stop, each reaching
// both channels; the token never in the bot's output.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, readFileSync, writeFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, startBin, tempDir } from "../helpers/bin.ts";
import { daemonArgs, exchangeAccount, startVenue, writeBotConfig } from "../engine/e2e-harness.ts";
import { startFakeTelegram } from "./fake-telegram.ts";
import { until } from "../helpers/until.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const TOKEN = "7000001:AAFakeTokenForTests_abcdefghijklmnop";

function addNotify(cfgPath: string, notify: unknown, extra: Record<string, unknown> = {}): void {
  const c = JSON.parse(readFileSync(cfgPath, "utf8"));
  writeFileSync(cfgPath, JSON.stringify({ ...c, notify, ...extra }, null, 2));
}

describe("notifications from the daemon", () => {
  test("start, fills, commands, pause/resume, drift, halt and stop reach Telegram and the webhook", async () => {
    const dir = tempDir("notify-daemon");
    // Queued before the bot starts: must never be obeyed.
    const tg = startFakeTelegram(TOKEN, [{ chatId: 42, text: "/pause old command" }]);
    const v = await startVenue(dir, { seed: 61 });
    const stopDrive = v.drive(100, 2_000);
    try {
      const cfg = writeBotConfig(dir, v, { risk: { max_daily_loss_dollars: "25" } });
      addNotify(cfg, {
        telegram: { bot_token: TOKEN, chat_id: 42, commands: true, api_base_url: tg.baseUrl },
        webhook_url: tg.webhookUrl,
        fill_batch_seconds: 1,
        max_messages_per_minute: 60,
      });
      const bot = startBin(daemonArgs(cfg, dir), { cwd: dir });
      const started = await tg.waitSent(/started \(PID \d+/);
      expect(started).toContain("kalshi-bot (sim, LIVE)");
      await tg.waitSent(/started \(PID/, 10_000, "webhook");

      // Fills, batched: every ticker named is one the ledger holds a fill for.
      const fillsMsg = await tg.waitSent(/\d+ fill\(s\), fees \$/, 60_000);
      const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
      const tickers = new Set(
        (db.query("select ticker from fills where paper = 0").all() as Array<{ ticker: string }>).map((r) => r.ticker),
      );
      db.close();
      const named = [...fillsMsg.matchAll(/bought \S+ (?:YES|NO) (\S+) @/g)].map((m) => m[1]!);
      expect(named.length).toBeGreaterThan(0);
      for (const t of named) expect(tickers.has(t)).toBe(true);
      await tg.waitSent(/fill\(s\), fees/, 10_000, "webhook");

      // A stranger's command is ignored without an answer; the allowed chat's is answered in order.
      tg.say(99, "/pause from a stranger");
      tg.say(42, "/status");
      const status = await tg.waitSent(/^Bot: +\w+/m);
      expect(status).toContain("Open orders:");
      expect(existsSync(join(dir, "data/disable-trading"))).toBe(false);

      tg.say(42, "/pause news at 14:00");
      await tg.waitSent(/^Paused: news at 14:00/);
      expect(readFileSync(join(dir, "data/disable-trading"), "utf8")).toMatch(/^news at 14:00 \(by telegram \/pause at /);
      await tg.waitSent(/PAUSED: news at 14:00 \(by telegram/);
      await tg.waitSent(/PAUSED: news at 14:00/, 10_000, "webhook");
      const hb = () => JSON.parse(readFileSync(join(dir, "reports/heartbeat.json"), "utf8")) as { status: string; kill_switch: boolean };
      await until("heartbeat disabled", () => hb().status === "disabled", 15_000);
      const st = await runBin(["status", "--config", cfg], { cwd: dir });
      expect(st.stdout).toContain(`Paused:     ${join(realpathSync(dir), "data/disable-trading")} exists: news at 14:00`);

      tg.say(42, "/resume");
      await tg.waitSent(/^Resumed: /);
      await tg.waitSent(/: resumed; trading from its next cycle/);
      expect(existsSync(join(dir, "data/disable-trading"))).toBe(false);
      await until("heartbeat active", () => hb().status === "active", 15_000);

      tg.say(42, "/positions");
      await tg.waitSent(/^(Positions|No positions) \(live book\)/);
      tg.say(42, "/pnl");
      const pnl = await tg.waitSent(/^P&L \(live book\):/);
      expect(pnl).toMatch(/All time: realized \$-?\d+\.\d{2}, fees \$\d+\.\d{2}/);

      // A deposit, seen by two reconciliations, is recorded: drift. The market stands still and the
      // bot is paused (no orders, so no fills) so that the balance is read between fill reads that
      // find nothing new (how the bot checks cash).
      stopDrive();
      expect((await runBin(["pause", "--config", cfg, "--reason", "deposit"], { cwd: dir })).code).toBe(0);
      await tg.waitSent(/PAUSED: deposit/);
      const before = tg.sent.length;
      exchangeAccount(v).account.cash += 12_340_000;
      await until(
        "a drift message after the deposit",
        () => tg.sent.slice(before).some((s) => /cash drift with the exchange recorded: /.test(s.text)),
        90_000,
      );
      // Word for word the audit row the bot wrote.
      const adb = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
      const adjusts = (adb.query("select message from audit_log where kind = 'cash_adjust'").all() as Array<{ message: string }>).map(
        (r) => r.message,
      );
      adb.close();
      const drift = tg.sent.slice(before).find((s) => /cash drift with the exchange recorded: /.test(s.text))!.text;
      expect(adjusts).toContain(drift.replace(/^.*cash drift with the exchange recorded: /, ""));
      // The whole deposit, once: quotes resting when it landed hold collateral, which must not be
      // taken off it (they were: $6.58-$8.36 recorded, the rest surfacing later as drift).
      expect(adjusts).toEqual(["cash drift $12.34 (ledger below the exchange, seen twice): deposit, withdrawal or a missed fill"]);

      // A $40 loss with a $25 daily limit: halted, and the daemon stops (exit 10).
      exchangeAccount(v).account.cash -= 40_000_000;
      await tg.waitSent(/HALTED by a risk limit/, 60_000);
      expect(await bot.exited).toBe(10);
      const stop = await tg.waitSent(/stopped \(halted by a risk limit\) after cycle \d+: \d+ open order\(s\) left/, 10_000);
      expect(stop).toContain("bankroll $");
      // What the exit did with the resting orders, as the heartbeat's exit_orders says.
      const exitOrders = (JSON.parse(readFileSync(join(dir, "reports/heartbeat.json"), "utf8")) as { exit_orders?: { canceled: number } })
        .exit_orders;
      expect(exitOrders).toBeDefined();
      expect(stop).toContain(`, ${exitOrders!.canceled} resting order(s) cancelled on exit`);
      await tg.waitSent(/stopped \(halted/, 10_000, "webhook");

      // Only the allowed chat ever got a message, and nothing answered the stranger or the old /pause.
      expect(tg.sent.every((s) => s.chatId === "42")).toBe(true);
      expect(tg.sent.some((s) => /old command|stranger/.test(s.text))).toBe(false);
      expect(bot.output()).not.toContain(TOKEN);
      expect(bot.output()).not.toContain(TOKEN.split(":")[1]!);
      // The token never reaches the ledger either.
      expect(readFileSync(join(dir, "data/kalshi.sqlite")).includes(TOKEN)).toBe(false);
    } finally {
      stopDrive();
      tg.stop();
      await v.stop();
    }
  }, 240_000);
});
