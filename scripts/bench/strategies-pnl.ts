// P&L after fees of the shipped strategy defaults, live against the local exchange (issue 16).
//
//   bun scripts/bench/strategies-pnl.ts [--seeds 1,2,...] [--cycles 90] [--step-s 40] [--markets 40]
//                                       [--only event_arbitrage|market_maker|fair_value] [--min-price 0.01]
//                                       [--fv-lag-s 0] [--bin dist/kalshi-bot] [--verbose]
//
// Per seed: an in-process local exchange (default scenario, that seed, a fixed start, a manual
// clock) and the compiled binary run `--mode trade --once` live against it `cycles` times, the
// exchange's clock stepped `step-s` seconds (one second at a time) before each run (90 × 40 s = 1 h
// of market time: several events close and settle). Config: the repository's advanced_config.json
// (its strategies, their parameters and its risk limits) — only the exchange, live mode, the scope
// (every series of the scenario) and the orders-per-minute window are set; `--only` enables just
// that strategy (with its shipped parameters) and disables the others.
// Reported per seed: the account's P&L at the exchange (cash + open positions at the exchange's
// marks − the starting balance, fees included since the exchange charged them), and per strategy
// (the bot's ledger says which strategy sent each order): fees, the P&L of the strategy's own fills
// (purchases at their prices and fees, YES+NO pairs worth $1, the rest at the exchange's mark or
// result), and the 5 s and 60 s markouts of its maker and taker fills at the exchange (mid that
// long after the fill − fill price, for the side bought, per contract).
// fair_value needs a probability source: before each run this script writes one (ticker →
// probability, every open market) from the exchange's own fair value `--fv-lag-s` seconds ago (0:
// now; never ahead, unlike the informed takers, who see a minute ahead), unbiased (the makers quote
// a favourite-longshot-biased price), written just before the run (its age is read on this machine's
// clock, as the bot reads it). So the figure
// says what the strategy makes of a good, honest forecast, not what a real source would be worth.
import { Database } from "bun:sqlite";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
const FV_LAG_MS = Number(arg("fv-lag-s", "0")) * 1000;
const VERBOSE = argv.includes("--verbose");
const BIN = resolve(arg("bin", resolve(import.meta.dir, "../../dist/kalshi-bot")));
// Fixed so a seed replays the same scenario (tickers carry dates); recent, because the ledger prunes
// market snapshots (the market maker's mid history) older than its retention by the machine clock.
const START = Date.UTC(2026, 10, 20, 14, 0, 0);
const BALANCE = 1_000_000_000;

const SHIPPED = JSON.parse(readFileSync(resolve(import.meta.dir, "../../advanced_config.json"), "utf8")) as {
  trading: { strategies: Record<string, Record<string, unknown>> };
  risk: Record<string, unknown>;
};

interface Markout {
  sum5: number;
  sum60: number;
  n: number;
}
interface Strat {
  pnl: number;
  fees: number;
  fills: number;
  notional: number;
  maker: Markout;
  taker: Markout;
}
interface Row {
  seed: number;
  pnl: number;
  fees: number;
  byStrategy: Record<string, Strat>;
}

async function runSeed(seed: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), `kbot-pnl-${seed}-`));
  const kp = generateKeyPair();
  const keyPath = join(dir, "key.pem");
  writeFileSync(keyPath, kp.privateKeyPem, { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  const clock = new ManualClock(START);
  const sim = await startSimServer({
    port: 0,
    seed,
    clock,
    quiet: true,
    tier: "prime",
    markets: MARKETS,
    accounts: [{ apiKeyId: "bench", publicKeyPem: kp.publicKeyPem, balanceMicros: BALANCE }],
  });
  const strategies: Record<string, Record<string, unknown>> = {};
  for (const [name, params] of Object.entries(SHIPPED.trading.strategies))
    strategies[name] = { ...params, ...(ONLY ? { enabled: name === ONLY } : {}) };
  const fvSource = join(dir, "fair.json");
  if (strategies.fair_value) strategies.fair_value = { ...strategies.fair_value, source: fvSource };
  // The forecast: each open market's fair value as the exchange has it (FV_LAG_MS ago).
  const writeForecast = () => {
    const probs: Record<string, string> = {};
    const at = clock.now() - FV_LAG_MS;
    for (const m of sim.exchange.markets.values()) {
      if (m.status !== "active") continue;
      const p = sim.participants.process(m.eventTicker)?.fair(m.ticker, at);
      if (p !== undefined) probs[m.ticker] = Math.min(1, Math.max(0, p)).toFixed(4);
    }
    // Written now on this machine's clock, as a forecast job beside the bot would write it.
    writeFileSync(fvSource, JSON.stringify(probs));
  };
  const cfg = {
    exchange: { environment: "sim", base_url: sim.baseUrl, api_key_id: "bench", private_key_path: keyPath, rate_tier: "prime" },
    // Quotes stay resting between the --once runs, as in the daemon (the TTL still bounds them).
    trading: {
      dry_run: false,
      autonomous_mode: true,
      non_interactive: true,
      cancel_on_exit: false,
      series_tickers: [...sim.exchange.series.keys()],
      strategies,
    },
    // The only risk change: the orders-per-minute window runs on this machine's clock, and here a
    // minute of market time passes in about two seconds.
    risk: {
      ...SHIPPED.risk,
      max_orders_per_minute: 2000,
      ...(MIN_PRICE ? { min_price: MIN_PRICE, max_price: (1 - Number(MIN_PRICE)).toFixed(2) } : {}),
    },
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
      for (let s = 0; s < STEP_MS; s += 1_000) {
        clock.advance(1_000);
        sim.tick();
        recordMids();
      }
      if (ONLY === "fair_value") writeForecast();
      const p = Bun.spawn(
        [
          BIN,
          "--config",
          cfgPath,
          "--mode",
          "trade",
          "--once",
          "--skip-setup-wizard",
          "--non-interactive",
          "--lock-file",
          join(dir, "bot.lock"),
        ],
        { cwd: dir, stdout: VERBOSE ? "inherit" : "ignore", stderr: "pipe" },
      );
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
    // Which strategy sent each order, from the bot's ledger; the fills themselves from the exchange.
    const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
    const owner = new Map(
      (
        db.query("select order_id, strategy from orders where paper = 0 and order_id is not null").all() as Array<{
          order_id: string;
          strategy: string | null;
        }>
      ).map((r) => [r.order_id, r.strategy ?? "other"]),
    );
    db.close();
    const by: Row["byStrategy"] = {};
    const books = new Map<string, { cash: number; yes: number; no: number }>();
    let fees = 0;
    const midAfter = (ticker: string, at: number) => (mids.get(ticker) ?? []).find(([t]) => t >= at)?.[1];
    for (const f of a.fills) {
      const s = owner.get(f.orderId) ?? "other";
      const b = (by[s] ??= {
        pnl: 0,
        fees: 0,
        fills: 0,
        notional: 0,
        maker: { sum5: 0, sum60: 0, n: 0 },
        taker: { sum5: 0, sum60: 0, n: 0 },
      });
      b.fees += f.fee;
      b.fills++;
      fees += f.fee;
      const k = `${s}\u0000${f.ticker}`;
      const bk = books.get(k) ?? { cash: 0, yes: 0, no: 0 };
      const lp = f.side === "bid" ? f.price : PRICE_ONE - f.price;
      b.notional += lp * f.count;
      bk.cash -= lp * f.count + f.fee;
      if (f.side === "bid") bk.yes += f.count;
      else bk.no += f.count;
      books.set(k, bk);
      const m5 = midAfter(f.ticker, f.tsMs + 5_000);
      const m60 = midAfter(f.ticker, f.tsMs + 60_000);
      if (m5 !== undefined && m60 !== undefined) {
        const mo = f.isTaker ? b.taker : b.maker;
        const dir = f.side === "bid" ? 1 : -1;
        mo.sum5 += dir * (m5 - f.price) * f.count;
        mo.sum60 += dir * (m60 - f.price) * f.count;
        mo.n += f.count;
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
// Markout in $ per contract: sums are price units (1/10,000 $) × count (1/100 contract).
const mo = (m: Markout) =>
  m.n ? `${(m.sum5 / m.n / PRICE_ONE).toFixed(4)} / ${(m.sum60 / m.n / PRICE_ONE).toFixed(4)} over ${m.n / 100}` : "-";
const out: Row[] = [];
for (const seed of SEEDS) {
  const r = await runSeed(seed);
  out.push(r);
  const parts = Object.entries(r.byStrategy).map(
    ([s, b]) =>
      `${s}: $${$(b.pnl)} (fees $${$(b.fees)}, ${b.fills} fills, notional $${(b.notional / 1e6).toFixed(2)}, markout 5 s / 60 s $/contract maker ${mo(b.maker)}, taker ${mo(b.taker)})`,
  );
  console.log(`seed ${seed}: account P&L $${$(r.pnl)} after fees $${$(r.fees)} | ${parts.join(" | ") || "no fills"}`);
}
const pnls = out.map((r) => r.pnl).sort((a, b) => a - b);
const mean = pnls.reduce((a, b) => a + b, 0) / pnls.length;
console.log(
  `${out.length} seeds, ${CYCLES} cycles × ${STEP_MS / 1000} s, ${ONLY ? `only ${ONLY}` : "advanced_config.json as shipped"}: account P&L mean $${$(mean)}, min $${$(pnls[0]!)}, max $${$(pnls.at(-1)!)}, losing seeds ${pnls.filter((p) => p < 0).length}`,
);
const strategies = [...new Set(out.flatMap((r) => Object.keys(r.byStrategy)))];
for (const s of strategies) {
  const xs = out.map((r) => r.byStrategy[s]?.pnl ?? 0);
  const sum = (f: (b: Strat) => number) => out.reduce((a, r) => a + (r.byStrategy[s] ? f(r.byStrategy[s]!) : 0), 0);
  const maker = { sum5: sum((b) => b.maker.sum5), sum60: sum((b) => b.maker.sum60), n: sum((b) => b.maker.n) };
  const taker = { sum5: sum((b) => b.taker.sum5), sum60: sum((b) => b.taker.sum60), n: sum((b) => b.taker.n) };
  console.log(
    `  ${s}: total $${$(xs.reduce((a, b) => a + b, 0))}, per seed ${xs.map($).join(" ")}, fees $${$(sum((b) => b.fees))}, fills ${sum((b) => b.fills)}; markout 5 s / 60 s $/contract: maker ${mo(maker)}, taker ${mo(taker)}`,
  );
}
