// Paper vs live on the same scenario, per strategy run alone (issue 13 item 4).
//
//   bun scripts/bench/paper-parity.ts [--seeds 1,2,...] [--cycles 16] [--step-s 7]
//                                     [--only event_arbitrage|market_maker] [--params JSON] [--markdown]
//                                     [--flow reactive|fixed]
//
// The machinery of test/engine/e2e-dryrun-vs-live.test.ts, over several seeds: per seed and
// strategy, two local exchanges with that seed and the same start (the same scenario), their manual
// clocks stepped in lockstep; the compiled binary runs `--once` live on venue A and dry-run on venue
// B, `cycles` times plus one last run with the market still. Only the named strategy is enabled.
// Reported per seed: live P&L (cash + positions at venue A's marks − the start), paper P&L (the
// paper ledger's cash + positions at venue B's marks − the start), live notional (Σ price × count of
// live fills), the gap (paper − live) as % of live notional, and fill rows live/paper. The target:
// |gap| <= 1 % of live notional and paper's fills within 25 % of live's, on every seed.
// With `--flow reactive` (the default) the two markets diverge by construction: live's orders trade
// on venue A (the participants there see and react to them), venue B never sees paper's. With
// `--flow fixed` a third exchange of the seed runs first without any bot and records what its
// participants send; venues A and B replay that recording instead of deciding, so their other
// traders send the same orders whatever live did on A, and a gap is the fill model's alone (live's
// orders still take liquidity and rest in queues on A, as they would on Kalshi).
import { Database } from "bun:sqlite";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { formatDollars2 } from "../../src/kalshi/money.ts";
import { ParticipantFlow } from "../../src/sim/participant-flow.ts";
import { ensureBinary, runBin, tempDir } from "../../test/helpers/bin.ts";
import {
  E2E_START_MS,
  exchangeAccount,
  onceArgs,
  positionsValue,
  readLedger,
  startVenue,
  writeBotConfig,
} from "../../test/engine/e2e-harness.ts";

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : def;
};
const SEEDS = arg("seeds", "1,2,3,4,5,6,7,8").split(",").map(Number);
const CYCLES = Number(arg("cycles", "16"));
const STEP_MS = Number(arg("step-s", "7")) * 1000;
const STRATEGIES = arg("only", "event_arbitrage,market_maker").split(",");
const MARKDOWN = argv.includes("--markdown");
// Parameters of the strategy under test on top of the shipped defaults (a scenario choice of the
// bench, e.g. '{"max_markets":8}' for a market maker that quotes more markets and so fills more).
const PARAMS = JSON.parse(arg("params", "{}")) as Record<string, unknown>;
const FLOW = arg("flow", "reactive");
if (FLOW !== "reactive" && FLOW !== "fixed") throw new Error(`--flow: reactive or fixed, not ${FLOW}`);
const START_MICROS = 1_000_000_000;

interface Fill {
  price: number;
  count: number;
  is_taker: number;
}

function fills(dbPath: string, paper: boolean): Fill[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.query("select price, count, is_taker from fills where paper = ? order by id").all(paper ? 1 : 0) as Fill[];
  } finally {
    db.close();
  }
}

interface Row {
  seed: number;
  livePnl: number;
  paperPnl: number;
  notional: number;
  liveFills: Fill[];
  paperFills: Fill[];
}

/** The participants of the seed's market over the bench's span, with no bot on it. */
async function recordFlow(seed: number): Promise<ParticipantFlow> {
  const dir = tempDir(`parity-flow-${seed}`);
  const flow = new ParticipantFlow();
  const r = await startVenue(dir, { seed, startMs: E2E_START_MS, balanceMicros: START_MICROS, flow: { record: flow } });
  try {
    for (let i = 0; i < CYCLES; i++) r.step(STEP_MS);
    return flow;
  } finally {
    await r.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runOne(strategy: string, seed: number): Promise<Row> {
  const dirA = tempDir(`parity-live-${seed}`);
  const dirB = tempDir(`parity-paper-${seed}`);
  const flow = FLOW === "fixed" ? await recordFlow(seed) : null;
  const venue = { seed, startMs: E2E_START_MS, balanceMicros: START_MICROS, ...(flow ? { flow: { replay: flow } } : {}) };
  const a = await startVenue(dirA, venue);
  const b = await startVenue(dirB, venue);
  try {
    const strategies = {
      event_arbitrage: { enabled: false },
      market_maker: { enabled: false },
      fair_value: { enabled: false },
      [strategy]: { ...PARAMS, enabled: true },
    };
    // Quotes rest between runs as a daemon's would (the default cancels them at the end of each --once).
    const cfgA = writeBotConfig(dirA, a, { trading: { cancel_on_exit: false, strategies } });
    const cfgB = writeBotConfig(dirB, b, { trading: { dry_run: true, cancel_on_exit: false, strategies } });
    for (let i = 0; i <= CYCLES; i++) {
      const [ra, rb] = await Promise.all([
        runBin(onceArgs(cfgA, dirA), { cwd: dirA, timeoutMs: 60_000 }),
        runBin(onceArgs(cfgB, dirB), { cwd: dirB, timeoutMs: 60_000 }),
      ]);
      if (ra.code !== 0 || rb.code !== 0)
        throw new Error(`seed ${seed} cycle ${i + 1}: live exit ${ra.code}, paper exit ${rb.code}\n${ra.stderr}\n${rb.stderr}`);
      if (i < CYCLES) {
        a.step(STEP_MS);
        b.step(STEP_MS);
      }
    }
    const livePnl = a.sim.exchange.equity(exchangeAccount(a).account.userId) - START_MICROS;
    const paper = readLedger(join(dirB, "data/kalshi.sqlite"), true);
    const paperPnl = paper.cashMicros + positionsValue(b, paper.positions) - START_MICROS;
    const liveFills = fills(join(dirA, "data/kalshi.sqlite"), false);
    const paperFills = fills(join(dirB, "data/kalshi.sqlite"), true);
    const notional = liveFills.reduce((s, f) => s + f.price * f.count, 0);
    return { seed, livePnl, paperPnl, notional, liveFills, paperFills };
  } finally {
    await a.stop();
    await b.stop();
    if (process.env.KALSHI_BOT_KEEP_TMP !== "1") for (const d of [dirA, dirB]) rmSync(d, { recursive: true, force: true });
  }
}

const usd = (m: number) => `${m < 0 ? "-" : ""}$${formatDollars2(Math.abs(m))}`;
const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)} %`;
const contracts = (fs: Fill[]) => fs.reduce((a, f) => a + f.count, 0) / 100;
const mix = (fs: Fill[]) =>
  `${fs.length} (${fs.filter((f) => f.is_taker).length}t/${fs.filter((f) => !f.is_taker).length}m, ${contracts(fs)} ct)`;

await ensureBinary();
for (const strategy of STRATEGIES) {
  const rows: Row[] = [];
  const head = ["seed", "live P&L", "paper P&L", "live notional", "gap % notional", "fills live", "fills paper", "fill ratio"];
  const lines: string[][] = [];
  for (const seed of SEEDS) {
    const r = await runOne(strategy, seed);
    rows.push(r);
    const gap = r.notional > 0 ? (r.paperPnl - r.livePnl) / r.notional : 0;
    const ratio = r.liveFills.length > 0 ? r.paperFills.length / r.liveFills.length : 0;
    lines.push([
      String(seed),
      usd(r.livePnl),
      usd(r.paperPnl),
      usd(r.notional),
      pct(gap),
      mix(r.liveFills),
      mix(r.paperFills),
      ratio.toFixed(2),
    ]);
    if (!MARKDOWN) console.log(`${strategy} seed ${seed}: ${lines.at(-1)!.join("  ")}`);
  }
  const sum = (f: (r: Row) => number) => rows.reduce((s, r) => s + f(r), 0);
  const notional = sum((r) => r.notional);
  const lf = sum((r) => r.liveFills.length);
  const pf = sum((r) => r.paperFills.length);
  lines.push([
    "all",
    usd(sum((r) => r.livePnl)),
    usd(sum((r) => r.paperPnl)),
    usd(notional),
    pct(notional > 0 ? sum((r) => r.paperPnl - r.livePnl) / notional : 0),
    String(lf),
    String(pf),
    (lf > 0 ? pf / lf : 0).toFixed(2),
  ]);
  const met = rows.filter(
    (r) =>
      Math.abs(r.paperPnl - r.livePnl) <= r.notional * 0.01 &&
      r.liveFills.length > 0 &&
      Math.abs(r.paperFills.length - r.liveFills.length) <= r.liveFills.length * 0.25,
  ).length;
  console.log(
    `\n${strategy} alone${Object.keys(PARAMS).length ? ` (${JSON.stringify(PARAMS)})` : ""}, ${FLOW} flow, ${CYCLES + 1} cycles, ${STEP_MS / 1000} s of market between cycles; fills as rows (taker/maker):`,
  );
  if (MARKDOWN) {
    console.log(`| ${head.join(" | ")} |\n|${head.map(() => "---").join("|")}|`);
    for (const l of lines) console.log(`| ${l.join(" | ")} |`);
  } else for (const l of [head, ...lines]) console.log(l.map((c) => c.padStart(14)).join(""));
  const metContracts = rows.filter(
    (r) =>
      Math.abs(r.paperPnl - r.livePnl) <= r.notional * 0.01 &&
      r.liveFills.length > 0 &&
      Math.abs(contracts(r.paperFills) - contracts(r.liveFills)) <= contracts(r.liveFills) * 0.25,
  ).length;
  console.log(`seeds meeting both targets (|gap| <= 1 % of live notional, fills within 25 %): ${met} of ${rows.length}`);
  console.log(`the same with fills counted in contracts rather than fill rows: ${metContracts} of ${rows.length}\n`);
}
