// Cancel on exit (trading.cancel_on_exit, src/engine/shutdown.ts), through the compiled binary
// against the local exchange on 127.0.0.1:
//   - a live --once run leaves 0 resting orders of the bot on the exchange, the ledger agrees
//     (every bot row final, none resting), the exit line and the heartbeat count what was cancelled;
//   - SIGTERM of a running daemon: exit 0, 0 resting, heartbeat `stopped` with the counts, log line;
//   - cancel_on_exit false: the quotes rest on purpose, the heartbeat and `status` say so;
//   - dry-run: the paper orders are cancelled at exit the same way.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, startBin, tempDir } from "../helpers/bin.ts";
import {
  daemonArgs,
  duplicateClientIds,
  exchangeAccount,
  onceArgs,
  readLedger,
  startVenue,
  writeBotConfig,
  type Venue,
} from "./e2e-harness.ts";
import { until } from "../helpers/until.ts";
import { withoutClockNotice } from "../helpers/calendar.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

interface Hb {
  status: string;
  open_orders: number;
  exit_orders?: { policy: string; canceled: number; not_canceled: number; kept: number; reason: string | null };
}
const heartbeat = (dir: string): Hb => JSON.parse(readFileSync(join(dir, "reports", "heartbeat.json"), "utf8"));

/** The bot's orders resting on the exchange right now. */
const restingOnExchange = (v: Venue) => exchangeAccount(v).orders.filter((o) => o.status === "resting");

/** Ledger rows of the bot's orders, by status (one book). */
function ledgerStatuses(dir: string, paper: boolean): Record<string, number> {
  const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  try {
    const rows = db
      .query("select status, count(*) as n from orders where paper = ? and origin = 'bot' group by status")
      .all(paper ? 1 : 0) as Array<{ status: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  } finally {
    db.close();
  }
}

/** Client order ids of the orders whose events include one starting with `prefix` (one book). */
function idsWithEvent(dir: string, paper: boolean, prefix: string): string[] {
  const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  try {
    return (
      db
        .query(
          "select distinct o.client_order_id as c from order_events e join orders o on o.id = e.order_row_id where o.paper = ? and e.detail like ?",
        )
        .all(paper ? 1 : 0, `${prefix}%`) as Array<{ c: string }>
    ).map((r) => r.c);
  } finally {
    db.close();
  }
}

/** Order events whose detail starts with `prefix` (one book). */
function eventsLike(dir: string, paper: boolean, prefix: string): number {
  const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  try {
    return (
      db
        .query("select count(*) as n from order_events e join orders o on o.id = e.order_row_id where o.paper = ? and e.detail like ?")
        .get(paper ? 1 : 0, `${prefix}%`) as { n: number }
    ).n;
  } finally {
    db.close();
  }
}

describe("cancel on exit", () => {
  test("live --once: the quotes it placed are cancelled before it exits; 0 resting on the exchange, ledger agrees, counts in the log and heartbeat", async () => {
    const dir = tempDir("exit-once-");
    const v = await startVenue(dir, { seed: 61 });
    try {
      const cfg = writeBotConfig(dir, v);
      const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(r.code, r.output).toBe(0);
      // It did place resting quotes (the market maker) during the cycle, each with an expiry.
      const all = exchangeAccount(v).orders;
      const quotes = all.filter((o) => o.tif === "good_till_canceled");
      expect(quotes.length).toBeGreaterThan(0);
      for (const o of quotes) expect(o.expirationMs).not.toBeNull();
      expect(restingOnExchange(v)).toEqual([]);
      // The ones the exit cancelled (the ledger's events), each canceled on the exchange.
      const exitIds = idsWithEvent(dir, false, "canceled: exit");
      const n = exitIds.length;
      expect(n).toBeGreaterThan(0);
      for (const cid of exitIds) expect(all.find((o) => o.clientOrderId === cid)?.status).toBe("canceled");
      expect(r.output).toMatch(new RegExp(`exiting: ${n} resting order\\(s\\) cancelled, 0 could not be`));
      // The exit's line is the run's last (stderr comes after stdout in `output`: the pinned clock's notice is not the run's).
      expect(withoutClockNotice(r.output).trim().split("\n").at(-1)).toMatch(/exiting: \d+ resting order\(s\) cancelled/);
      const st = ledgerStatuses(dir, false);
      expect(st.resting ?? 0).toBe(0);
      expect(st.pending ?? 0).toBe(0);
      expect(st.unknown ?? 0).toBe(0);
      expect(eventsLike(dir, false, "canceled: exit")).toBe(n);
      const hb = heartbeat(dir);
      expect(hb.exit_orders).toEqual({ policy: "cancel", canceled: n, not_canceled: 0, kept: 0, reason: null });
      expect(hb.open_orders).toBe(0);
      expect(duplicateClientIds(v)).toEqual([]);
      // Every order of the account is in the ledger with the exchange's own final state.
      const l = readLedger(join(dir, "data/kalshi.sqlite"), false);
      const byCid = new Map(l.orders.map((o) => [o.client_order_id, o]));
      for (const o of all) {
        const row = byCid.get(o.clientOrderId)!;
        expect(row).toBeDefined();
        expect(row.status).toBe(o.status === "canceled" ? "canceled" : o.status);
        expect(row.remaining_count).toBe(0);
      }
    } finally {
      await v.stop();
    }
  }, 120_000);

  test("SIGTERM of the daemon: exit 0, 0 resting orders of the bot, heartbeat `stopped` with the counts, the exit line", async () => {
    const dir = tempDir("exit-daemon-");
    const v = await startVenue(dir, { seed: 62 });
    const stopDrive = v.drive(100, 100);
    try {
      const cfg = writeBotConfig(dir, v, { trading: { cycle_interval_seconds: 5 } });
      const bot = startBin(daemonArgs(cfg, dir), { cwd: dir });
      await bot.waitFor(/cycle 2 \(trade, LIVE\)/, 60_000);
      await until("quotes resting on the exchange", () => restingOnExchange(v).length >= 2, 20_000);
      expect(await bot.stop("SIGTERM", 60_000)).toBe(0);
      expect(restingOnExchange(v)).toEqual([]);
      const hb = heartbeat(dir);
      expect(hb.status).toBe("stopped");
      expect(hb.exit_orders?.policy).toBe("cancel");
      expect(hb.exit_orders!.canceled).toBeGreaterThan(0);
      expect(hb.exit_orders!.not_canceled).toBe(0);
      expect(hb.open_orders).toBe(0);
      expect(bot.output()).toMatch(new RegExp(`stopped: ${hb.exit_orders!.canceled} resting order\\(s\\) cancelled, 0 could not be`));
      const st = ledgerStatuses(dir, false);
      expect(st.resting ?? 0).toBe(0);
      expect(duplicateClientIds(v)).toEqual([]);
    } finally {
      stopDrive();
      await v.stop();
    }
  }, 120_000);

  test("cancel_on_exit false: the quotes rest on purpose; the heartbeat and `status` say so", async () => {
    const dir = tempDir("exit-keep-");
    const v = await startVenue(dir, { seed: 61 });
    try {
      const cfg = writeBotConfig(dir, v, { trading: { cancel_on_exit: false } });
      const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(r.code, r.output).toBe(0);
      const resting = restingOnExchange(v);
      expect(resting.length).toBeGreaterThan(0);
      expect(r.output).toMatch(
        new RegExp(`exiting: ${resting.length} resting order\\(s\\) left on the exchange on purpose \\(trading.cancel_on_exit is false\\)`),
      );
      // They still expire: three cycle intervals for --once without cancel (at least 60 s).
      for (const o of resting) expect(o.expirationMs).not.toBeNull();
      expect(ledgerStatuses(dir, false).resting).toBe(resting.length);
      const hb = heartbeat(dir);
      expect(hb.exit_orders).toEqual({ policy: "keep", canceled: 0, not_canceled: 0, kept: resting.length, reason: null });
      const s = await runBin(["status", "--config", cfg, "--lock-file", join(dir, "bot.lock")], { cwd: dir });
      expect(s.code, s.output).toBe(0);
      expect(s.stdout).toContain(
        `At exit:    ${resting.length} resting order(s) left on the exchange on purpose (trading.cancel_on_exit is false)`,
      );
      expect(s.stdout).toMatch(/Open orders: left resting on purpose when the bot exits \(trading.cancel_on_exit is false/);
      const j = JSON.parse(
        (await runBin(["status", "--json", "--config", cfg, "--lock-file", join(dir, "bot.lock")], { cwd: dir })).stdout,
      );
      expect(j.cancel_on_exit).toBe(false);
      expect(j.open_orders.length).toBe(resting.length);
    } finally {
      await v.stop();
    }
  }, 120_000);

  test("dry-run --once: the paper quotes are cancelled at exit the same way", async () => {
    const dir = tempDir("exit-paper-");
    const v = await startVenue(dir, { seed: 61 });
    try {
      const cfg = writeBotConfig(dir, v, { trading: { dry_run: true } });
      const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(r.code, r.output).toBe(0);
      // Nothing reached the exchange.
      expect(exchangeAccount(v).orders).toEqual([]);
      const n = eventsLike(dir, true, "canceled: exit");
      expect(n).toBeGreaterThan(0);
      expect(r.output).toMatch(new RegExp(`exiting: ${n} resting order\\(s\\) cancelled, 0 could not be`));
      expect(ledgerStatuses(dir, true).resting ?? 0).toBe(0);
      expect(heartbeat(dir).exit_orders).toEqual({ policy: "cancel", canceled: n, not_canceled: 0, kept: 0, reason: null });
    } finally {
      await v.stop();
    }
  }, 120_000);
});

describe("a second signal during the exit's cancels", () => {
  test("SIGTERM, then SIGINT while the cancels are unanswered: it stops waiting, and the exit line and heartbeat say how many were left", async () => {
    const dir = tempDir("exit-force-");
    const v = await startVenue(dir, { seed: 62 });
    const stopDrive = v.drive(100, 100);
    const target = new URL(v.sim.baseUrl);
    // Forwards REST to the exchange; once `hold` is set, cancels wait until released.
    let hold = false;
    let held = 0;
    const release: Array<() => void> = [];
    const proxy = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const u = new URL(req.url);
        if (u.pathname.includes("/ws/")) return new Response("no websocket here", { status: 404 });
        const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
        if (hold && req.method === "DELETE") {
          held++;
          await new Promise<void>((r) => release.push(r));
        }
        const r = await fetch(`${target.origin}${u.pathname}${u.search}`, { method: req.method, headers: req.headers, body });
        return new Response(await r.arrayBuffer(), { status: r.status, headers: r.headers });
      },
    });
    try {
      const cfg = writeBotConfig(dir, v, {
        exchange: { base_url: `http://127.0.0.1:${proxy.port}`, request_timeout_ms: 60_000 },
        trading: { cycle_interval_seconds: 30, websocket: false },
      });
      const bot = startBin(daemonArgs(cfg, dir), { cwd: dir });
      await bot.waitFor(/cycle 1 \(trade, LIVE\)/, 60_000);
      await until("quotes resting on the exchange", () => restingOnExchange(v).length >= 2, 20_000);
      const resting = restingOnExchange(v).length;
      hold = true;
      bot.proc.kill("SIGTERM");
      await until("the exit's cancel request at the exchange", () => held > 0, 20_000);
      bot.proc.kill("SIGINT");
      await bot.waitFor(/stopped: 0 resting order\(s\) cancelled, \d+ could not be \(SIGINT again: exit forced\)/, 20_000);
      expect(bot.output()).toMatch(/SIGINT again: exiting without waiting for the cancels of resting orders/);
      const hb = heartbeat(dir);
      expect(hb.status).toBe("stopped");
      expect(hb.exit_orders).toEqual({
        policy: "cancel",
        canceled: 0,
        not_canceled: resting,
        kept: 0,
        reason: "SIGINT again: exit forced",
      });
      hold = false;
      for (const r of release.splice(0)) r();
      // The cancels it stopped waiting for were in flight; once they are answered it is gone, exit 0.
      expect(await bot.exited).toBe(0);
    } finally {
      hold = false;
      for (const r of release.splice(0)) r();
      stopDrive();
      proxy.stop(true);
      await v.stop();
    }
  }, 120_000);
});

describe("a fatal error after the bot has sent orders", () => {
  test("live --once whose cycle fails after placing quotes (the exchange refuses the balance read): exit 4, yet its quotes are cancelled before it exits", async () => {
    const dir = tempDir("exit-fatal-");
    const v = await startVenue(dir, { seed: 61 });
    const target = new URL(v.sim.baseUrl);
    // Forwards REST to the exchange; once an order was created, every balance read is refused.
    let created = false;
    const proxy = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const u = new URL(req.url);
        if (created && u.pathname.endsWith("/portfolio/balance"))
          return Response.json({ error: { code: "bad_request", message: "balance unavailable (test fault)" } }, { status: 400 });
        const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
        const r = await fetch(`${target.origin}${u.pathname}${u.search}`, { method: req.method, headers: req.headers, body });
        if (req.method === "POST" && u.pathname.includes("/portfolio/events/orders") && r.ok) created = true;
        return new Response(await r.arrayBuffer(), { status: r.status, headers: r.headers });
      },
    });
    try {
      const cfg = writeBotConfig(dir, v, { exchange: { base_url: `http://127.0.0.1:${proxy.port}` } });
      const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
      expect(r.code, r.output).toBe(4);
      expect(r.output).toMatch(/balance unavailable \(test fault\)/);
      const quotes = exchangeAccount(v).orders.filter((o) => o.tif === "good_till_canceled");
      expect(quotes.length).toBeGreaterThan(0);
      expect(restingOnExchange(v)).toEqual([]);
      const exitIds = idsWithEvent(dir, false, "canceled: exit");
      const n = exitIds.length;
      expect(n).toBeGreaterThan(0);
      for (const cid of exitIds) expect(quotes.find((o) => o.clientOrderId === cid)?.status).toBe("canceled");
      expect(r.output).toMatch(new RegExp(`exiting: ${n} resting order\\(s\\) cancelled, 0 could not be`));
      const hb = heartbeat(dir);
      expect(hb.status).toBe("error");
      expect(hb.exit_orders).toEqual({ policy: "cancel", canceled: n, not_canceled: 0, kept: 0, reason: null });
      expect(ledgerStatuses(dir, false).resting ?? 0).toBe(0);
    } finally {
      proxy.stop(true);
      await v.stop();
    }
  }, 120_000);
});
