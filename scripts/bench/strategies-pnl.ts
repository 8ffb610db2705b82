// P&L after fees of the shipped strategy defaults, live against the local exchange (issue 16).
//
//   bun scripts/bench/strategies-pnl.ts [--seeds 1,2,...] [--cycles 90] [--step-s 40] [--markets 40]
//                                       [--only event_arbitrage|market_maker] [--min-price 0.01]
//                                       [--bin dist/kalshi-bot] [--verbose]
//
// Per seed: an in-process local exchange (default scenario, that seed, a manual clock) and the
// compiled binary run `--mode trade --once` live against it `cycles` times, the exchange's clock
// stepped `step-s` seconds before each run (90 × 40 s = 1 h of market time: several events close
// and settle). Config: the shipped defaults (strategies and risk) — only the exchange, live mode and
// the scope (every series of the scenario) are set; `--only` enables just one strategy.
// Reported per seed: the account's P&L at the exchange (cash + open positions at the exchange's
// marks − the starting balance, fees included since the exchange charged them), and per strategy
// from the bot's ledger: fees, the P&L of the strategy's own fills (purchases at their prices and
// fees, YES+NO pairs worth $1, the rest at the exchange's mark or result), and for market_maker the
// 60 s markout of its maker fills (mid 60 s after the fill − fill price, for the side bought).
import { Database } from "bun:sqlite";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PRICE_ONE } from "../../src/kalshi/money.ts";
import { ManualClock } from "../../src/sim/clock.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { startSimServer } from "../../src/sim/server.ts";

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : def;
};
const SEEDS = arg("seeds", "1,2,3,4,5,6,7,8").split(",").map(Number);
const CYCLES = Number(arg("cycles", "90"));
const STEP_MS = Number(arg("step-s", "40")) * 1000;
const MARKETS = Number(arg("markets", "40"));
const ONLY = arg("only", "");
// Optional: widen the risk gate's price sanity band (default 0.02..0.98), e.g. --min-price 0.01.
const MIN_PRICE = arg("min-price", "");
const VERBOSE = argv.includes("--verbose");
const BIN = resolve(arg("bin", resolve(import.meta.dir, "../../dist/kalshi-bot")));
// Fixed so a seed replays the same scenario (tickers carry dates); recent, because the ledger prunes
// market snapshots (the market maker's mid history) older than its retention by the machine clock.
const START = Date.UTC(2026, 10, 20, 14, 0, 0);
const BALANCE = 1_000_000_000;

interface Row { seed: number; pnl: number; fees: number; byStrategy: Record<string, { pnl: number; fees: number; fills: number; markoutSum: number; markoutN: number }> }

async function runSeed(seed: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), `kbot-pnl-${seed}-`));
  const kp = generateKeyPair();
  const keyPath = join(dir, "key.pem");
  writeFileSync(keyPath, kp.privateKeyPem, { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  const clock = new ManualClock(START);
  const sim = await startSimServer({ port: 0, seed, clock, quiet: true, tier: "prime", markets: MARKETS, accounts: [{ apiKeyId: "bench", publicKeyPem: kp.publicKeyPem, balanceMicros: BALANCE }] });
  // Both strategies unless --only: the market maker ships disabled, and this bench measures it.
  const strategies = { event_arbitrage: { enabled: !ONLY || ONLY === "event_arbitrage" }, market_maker: { enabled: !ONLY || ONLY === "market_maker" } };
  const cfg = {
    exchange: { environment: "sim", base_url: sim.baseUrl, api_key_id: "bench", private_key_path: keyPath, rate_tier: "prime" },
    // Quotes stay resting between the --once runs, as in the daemon (the TTL still bounds them).
    trading: { dry_run: false, autonomous_mode: true, non_interactive: true, cancel_on_exit: false, series_tickers: [...sim.exchange.series.keys()], strategies },
    // The only risk change: the orders-per-minute window runs on this machine's clock, and here a
    // minute of market time passes in about two seconds.
    risk: { max_orders_per_minute: 2000, ...(MIN_PRICE ? { min_price: MIN_PRICE, max_price: (1 - Number(MIN_PRICE)).toFixed(2) } : {}) },
    paths: { database: "data/kalshi.sqlite", reports_dir: "reports", backups_dir: "backups", lock_file: "bot.lock" },
  };
  const cfgPath = join(dir, "bot.json");
  writeFileSync(cfgPath, JSON.stringify(cfg));
  // Mid of every market at every step, for markouts.
  const mids = new Map<string, Array<[number, number]>>();
  const recordMids = () => {
    for (const t of sim.exchange.markets.keys()) {
      const top = sim.exchange.top(t);
      if (top.bidSize > 0 && top.askSize > 0) {
        const a = mids.get(t) ?? [];
        a.push([clock.now(), Math.round((top.bid + top.ask) / 2)]);
        mids.set(t, a);
      }
    }
  };
  try {
    for (let i = 0; i < CYCLES; i++) {
      clock.advance(STEP_MS);
      sim.tick();
      recordMids();
      const p = Bun.spawn([BIN, "--config", cfgPath, "--mode", "trade", "--once", "--skip-setup-wizard", "--non-interactive", "--lock-file", join(dir, "bot.lock")], { cwd: dir, stdout: VERBOSE ? "inherit" : "ignore", stderr: "pipe" });
      // The sim answers in this process: keep its event loop free while the bot runs.
      const code = await p.exited;
      if (code !== 0 && code !== 3) {
        const err = await new Response(p.stderr).text();
        process.stderr.write(`seed ${seed} cycle ${i}: exit ${code}: ${err.slice(-400)}\n`);
      }
    }
    // Let the markets that closed settle, then read the account at the exchange.
    const a = sim.exchange.accountsByKey.get("bench")!;
    let posValue = 0;
    for (const p of a.positions.values()) {
      if (p.position === 0) continue;
      const mk = sim.exchange.mark(p.ticker);
      posValue += p.position >= 0 ? p.position * mk : -p.position * (PRICE_ONE - mk);
    }
    const pnl = a.cash + posValue - BALANCE;
    // Per strategy, from the ledger.
    const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
    const rows = db
      .query("select o.strategy as strategy, f.ticker as ticker, f.side as side, f.price as price, f.count as count, f.fee_micros as fee, f.is_taker as taker, f.created_at as at from fills f join orders o on o.order_id = f.order_id and o.paper = f.paper where f.paper = 0")
      .all() as Array<{ strategy: string | null; ticker: string; side: "bid" | "ask"; price: number; count: number; fee: number; taker: number; at: number }>;
    db.close();
    const by: Row["byStrategy"] = {};
    const books = new Map<string, { cash: number; yes: number; no: number }>();
    let fees = 0;
    for (const r of rows) {
      const s = r.strategy ?? "other";
      const b = (by[s] ??= { pnl: 0, fees: 0, fills: 0, markoutSum: 0, markoutN: 0 });
      b.fees += r.fee;
      b.fills++;
      fees += r.fee;
      const k = `${s}\u0000${r.ticker}`;
      const bk = books.get(k) ?? { cash: 0, yes: 0, no: 0 };
      const lp = r.side === "bid" ? r.price : PRICE_ONE - r.price;
      bk.cash -= lp * r.count + r.fee;
      if (r.side === "bid") bk.yes += r.count;
      else bk.no += r.count;
      books.set(k, bk);
      if (!r.taker) {
        const later = (mids.get(r.ticker) ?? []).find(([t]) => t >= r.at + 60_000);
        if (later) {
          b.markoutSum += (r.side === "bid" ? later[1] - r.price : r.price - later[1]) * r.count;
          b.markoutN += r.count;
        }
      }
    }
    for (const [k, bk] of books) {
      const [s, t] = k.split("\u0000") as [string, string];
      const mk = sim.exchange.mark(t);
      const pairs = Math.min(bk.yes, bk.no);
      by[s]!.pnl += bk.cash + pairs * PRICE_ONE + (bk.yes - pairs) * mk + (bk.no - pairs) * (PRICE_ONE - mk);
    }
    return { seed, pnl, fees, byStrategy: by };
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const $ = (m: number) => (m / 1e6).toFixed(2);
const out: Row[] = [];
for (const seed of SEEDS) {
  const r = await runSeed(seed);
  out.push(r);
  const parts = Object.entries(r.byStrategy).map(([s, b]) => `${s}: $${$(b.pnl)} (fees $${$(b.fees)}, ${b.fills} fills${b.markoutN ? `, markout60 ${(b.markoutSum / b.markoutN / PRICE_ONE).toFixed(4)}/contract over ${b.markoutN / 100}` : ""})`);
  console.log(`seed ${seed}: account P&L $${$(r.pnl)} after fees $${$(r.fees)} | ${parts.join(" | ") || "no fills"}`);
}
const pnls = out.map((r) => r.pnl).sort((a, b) => a - b);
const mean = pnls.reduce((a, b) => a + b, 0) / pnls.length;
console.log(`${out.length} seeds, ${CYCLES} cycles × ${STEP_MS / 1000} s${ONLY ? `, only ${ONLY}` : ", shipped defaults"}: mean $${$(mean)}, min $${$(pnls[0]!)}, max $${$(pnls.at(-1)!)}, losing seeds ${pnls.filter((p) => p < 0).length}`);
const strategies = [...new Set(out.flatMap((r) => Object.keys(r.byStrategy)))];
for (const s of strategies) {
  const xs = out.map((r) => r.byStrategy[s]?.pnl ?? 0);
  const mo = out.reduce((a, r) => a + (r.byStrategy[s]?.markoutSum ?? 0), 0);
  const mn = out.reduce((a, r) => a + (r.byStrategy[s]?.markoutN ?? 0), 0);
  console.log(`  ${s}: total $${$(xs.reduce((a, b) => a + b, 0))}, per seed ${xs.map($).join(" ")}${mn ? `, maker markout 60 s ${(mo / mn / PRICE_ONE).toFixed(4)} $/contract over ${mn / 100} contracts` : ""}`);
}
