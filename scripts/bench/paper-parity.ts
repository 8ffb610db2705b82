// Paper vs live on the same scenario, per strategy run alone (issue 13 item 4).
//
//   bun scripts/bench/paper-parity.ts [--seeds 1,2,...] [--cycles 16] [--step-s 7]
//                                     [--only event_arbitrage|market_maker|fair_value] [--params JSON] [--markdown]
//                                     [--flow reactive|fixed] [--bot once|daemon] [--ttl-s S]
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
// orders still take liquidity and rest in queues on A, as they would on Kalshi). Both P&Ls are at
// the marks of a book without our quotes (live's last ones are cancelled on A before it is valued).
// "gap, same marks" values live's holdings at venue B's marks too: the end marks of the two venues
// differ where live's orders changed A's book (a maker that traded with live's quote is gone from A),
// and that moves the gap with identical fills; what is left is the fills' alone. "settled": both
// P&Ls once every market either side holds is determined (each venue's clock stepped on after the
// last cycle, no more decisions; positions at their payout): what a trader earns, which no one's
// orders move.
// `--bot daemon`: instead of a `--once` run per step, one daemon per venue (WebSocket books: paper
// checks every book delta for a cross of its resting orders). Each venue is stepped only when its
// daemon is idle after everything the venue sent it (its idle line counts every frame the venue sent
// and every request the venue received, answered; no pass running or due), and each cycle is asked
// for (SIGUSR1) once the daemon is idle after the step: both daemons decide in the same phase of every
// step, whatever the machine's timing. A cycle the daemon ran unasked is reported as a slipped
// lockstep. The bots run with `exchange.clock: "stepped"`: their estimate of the exchange's time is
// the newest time a venue sent (a delta's, a fill's, a balance read's), never run on this machine's
// clock between samples. Each daemon is stopped (SIGSTOP) while its venue steps, holds the step's
// book moves until the bench, once it is idle after the step, sends SIGUSR2 (then a narrow round
// and one pass answer them), and so decides on the frames and their order, not on this machine's
// timing: a seed gives the same figures run to run (README, Paper vs live).
// fair_value needs a probability source: before each cycle each venue's bot gets a file (ticker →
// probability, every active market) of that venue's own fair value at its time now (as
// scripts/bench/strategies-pnl.ts writes it with --fv-lag-s 0). The seed's price process is a fixed
// path no order moves, so both files are the same at every step; the run checks that they were.
// Live's fills are counted as venue A has them (its ledger learns the last cycle's at a later read).
// KALSHI_PARITY_TRACE=DIR writes each venue's trades (with the taker's order) and live's order
// events to DIR/seed-N-{live,paper}.jsonl, to tell why a fill happened on one venue only.
import { formatDollars2 } from "../../src/kalshi/money.ts";
import { ensureBinary } from "../../test/helpers/bin.ts";
import { type ParityFill, type ParityRow, runParity } from "../../test/engine/parity-run.ts";

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
// `--bot daemon`: a daemon per venue (WebSocket books; paper checks each book delta for a cross),
// each venue stepped once its daemon is idle (test/engine/parity-run.ts driveDaemon).
const BOT = arg("bot", "once");
if (BOT !== "once" && BOT !== "daemon") throw new Error(`--bot: once or daemon, not ${BOT}`);
// `--ttl-s`: the daemons' order_ttl_seconds. Default (daemon mode): 100 steps, so that renewals (a
// cancel and a new quote on each venue every step or two at the product's 60 s, the venues jumping
// a step at a time) do not dominate what the two venues do; `--ttl-s 60` is the product's default.
const TTL_S = argv.includes("--ttl-s") ? Number(arg("ttl-s", "60")) : BOT === "daemon" ? (STEP_MS / 1000) * 100 : undefined;
if (FLOW !== "reactive" && FLOW !== "fixed") throw new Error(`--flow: reactive or fixed, not ${FLOW}`);
type Fill = ParityFill;
type Row = ParityRow;
/** Paper − live at settlement as a share of live notional (null: not settled, or no notional). */
const settledGap = (r: Row): number | null =>
  r.liveSettled === null || r.paperSettled === null || r.notional === 0 ? null : (r.paperSettled - r.liveSettled) / r.notional;
const runOne = (strategy: string, seed: number): Promise<Row> =>
  runParity({
    strategy,
    seed,
    cycles: CYCLES,
    stepMs: STEP_MS,
    flow: FLOW,
    params: PARAMS,
    bot: BOT,
    ...(TTL_S !== undefined ? { ttlS: TTL_S } : {}),
  });

const usd = (m: number) => `${m < 0 ? "-" : ""}$${formatDollars2(Math.abs(m))}`;
const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)} %`;
const contracts = (fs: Fill[]) => fs.reduce((a, f) => a + f.count, 0) / 100;
const mix = (fs: Fill[]) =>
  `${fs.length} (${fs.filter((f) => f.is_taker).length}t/${fs.filter((f) => !f.is_taker).length}m, ${contracts(fs)} ct)`;

await ensureBinary();
for (const strategy of STRATEGIES) {
  const rows: Row[] = [];
  const head = [
    "seed",
    "live P&L",
    "paper P&L",
    "live notional",
    "gap % notional",
    "gap, same marks",
    "settled live",
    "settled paper",
    "gap, settled",
    "fills live",
    "fills paper",
    "fill ratio",
  ];
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
      pct(r.notional > 0 ? (r.paperPnl - r.livePnlAtPaperMarks) / r.notional : 0),
      r.liveSettled === null ? "-" : usd(r.liveSettled),
      r.paperSettled === null ? "-" : usd(r.paperSettled),
      settledGap(r) === null ? "-" : pct(settledGap(r)!),
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
    pct(notional > 0 ? sum((r) => r.paperPnl - r.livePnlAtPaperMarks) / notional : 0),
    rows.every((r) => r.liveSettled !== null) ? usd(sum((r) => r.liveSettled!)) : "-",
    rows.every((r) => r.paperSettled !== null) ? usd(sum((r) => r.paperSettled!)) : "-",
    rows.every((r) => settledGap(r) !== null) && notional > 0 ? pct(sum((r) => r.paperSettled! - r.liveSettled!) / notional) : "-",
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
    `\n${strategy} alone${Object.keys(PARAMS).length ? ` (${JSON.stringify(PARAMS)})` : ""}, ${FLOW} flow, ${BOT === "daemon" ? `daemons (cycles asked for once idle, ${TTL_S} s order TTL), ` : ""}${CYCLES + 1} cycles, ${STEP_MS / 1000} s of market between cycles; fills as rows (taker/maker):`,
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
  const metSameMarks = rows.filter(
    (r) =>
      Math.abs(r.paperPnl - r.livePnlAtPaperMarks) <= r.notional * 0.01 &&
      r.liveFills.length > 0 &&
      Math.abs(r.paperFills.length - r.liveFills.length) <= r.liveFills.length * 0.25,
  ).length;
  console.log(`the same with fills counted in contracts rather than fill rows: ${metContracts} of ${rows.length}`);
  console.log(
    `the same (fill rows) with live's holdings valued at venue B's marks, as paper's are (the fills' gap alone): ${metSameMarks} of ${rows.length}`,
  );
  const metSettled = rows.filter((r) => {
    const g = settledGap(r);
    return (
      g !== null &&
      Math.abs(g) <= 0.01 &&
      r.liveFills.length > 0 &&
      Math.abs(r.paperFills.length - r.liveFills.length) <= r.liveFills.length * 0.25
    );
  }).length;
  console.log(`the same (fill rows) with both P&Ls at settlement (cash + payouts): ${metSettled} of ${rows.length}\n`);
}
