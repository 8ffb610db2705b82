// The daemon's full market load (MarketDataSource.load: every open market of the scope over REST,
// GET /events?with_nested_markets=true page by page) at 10,000 markets: how far it lifts the JS heap
// above its resting size, and its CPU. The daemon does it once a minute (issue 14, the daemon's memory).
//
//   bun scripts/bench/market-load-memory.ts [--markets 10000] [--rounds 4] [--root DIR] [--bin dist/kalshi-bot]
//
// The local exchange runs as its own process (`kalshi-bot sim`, public endpoints). Yardstick, in the
// same run, alternating with the loads: the same pages fetched and given to JSON.parse alone, nothing
// kept. The heap is sampled every 2 ms during each (bun:jsc heapStats, after a full collection
// before it). `--root` loads MarketDataSource and KalshiClient from another checkout's src/ (the
// branch point, in a second worktree), so two builds of the code compare in one session.
import { heapStats } from "bun:jsc";
import { resolve } from "node:path";

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : def;
};
const MARKETS = Number(arg("markets", "10000"));
const ROUNDS = Number(arg("rounds", "4"));
const ROOT = resolve(arg("root", resolve(import.meta.dir, "../..")));
const BIN = resolve(arg("bin", resolve(import.meta.dir, "../../dist/kalshi-bot")));

const { MarketDataSource } = (await import(`${ROOT}/src/engine/market-data.ts`)) as typeof import("../../src/engine/market-data.ts");
const { KalshiClient } = (await import(`${ROOT}/src/kalshi/client.ts`)) as typeof import("../../src/kalshi/client.ts");

const sim = Bun.spawn([BIN, "sim", "--port", "0", "--seed", "9", "--markets", String(MARKETS), "--tier", "prime"], {
  stdout: "pipe",
  stderr: "ignore",
});
const reader = sim.stdout.getReader();
let head = "";
while (!head.includes("\n")) {
  const { value, done } = await reader.read();
  if (done) throw new Error("kalshi-bot sim exited before printing its URL");
  head += new TextDecoder().decode(value);
}
reader.releaseLock();
void sim.stdout.pipeTo(new WritableStream()).catch(() => {});
const baseUrl = head.split("\n")[0]!.trim();
const series = ((await (await fetch(`${baseUrl}/series`)).json()) as { series: Array<{ ticker: string }> }).series.map((s) => s.ticker);
const scope = { seriesTickers: series, eventTickers: [], marketTickers: [], whole: false };
const source = new MarketDataSource(new KalshiClient({ baseUrl, tier: "prime", timeoutMs: 30_000 }));

/** The yardstick: the load's pages, parsed and dropped. */
async function parseOnly(): Promise<number> {
  let n = 0;
  for (const s of series) {
    let cursor = "";
    do {
      const q = new URLSearchParams({ series_ticker: s, status: "open", with_nested_markets: "true", limit: "200", cursor });
      const page = JSON.parse(await (await fetch(`${baseUrl}/events?${q}`)).text()) as {
        events: Array<{ markets?: unknown[] }>;
        cursor?: string;
      };
      for (const e of page.events) n += e.markets?.length ?? 0;
      cursor = page.cursor ?? "";
    } while (cursor);
  }
  return n;
}

interface Run {
  markets: number;
  peakMb: number;
  capMb: number;
  cpuMs: number;
}
async function measure(work: () => Promise<number>): Promise<Run> {
  Bun.gc(true);
  const base = heapStats().heapSize;
  let peak = base;
  let cap = heapStats().heapCapacity;
  const tick = setInterval(() => {
    const h = heapStats();
    peak = Math.max(peak, h.heapSize);
    cap = Math.max(cap, h.heapCapacity);
  }, 2);
  const cpu0 = process.cpuUsage();
  const markets = await work();
  const cpu = process.cpuUsage(cpu0);
  clearInterval(tick);
  return { markets, peakMb: (peak - base) / 1048576, capMb: cap / 1048576, cpuMs: (cpu.user + cpu.system) / 1000 };
}

let kept = await source.load(scope); // warm-up: series fees cached, code compiled
const loads: Run[] = [];
const parses: Run[] = [];
for (let r = 0; r < ROUNDS; r++) {
  parses.push(await measure(parseOnly));
  loads.push(
    await measure(async () => {
      // The previous load stays referenced until this one returns, as in the daemon.
      kept = await source.load(scope);
      return kept.markets.size + kept.inactive.size;
    }),
  );
}
sim.kill("SIGTERM");
await sim.exited;

const range = (xs: number[], d = 1) => `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`;
console.log(`market load at ${MARKETS} markets (src: ${ROOT}), ${ROUNDS} rounds alternating:`);
console.log(
  `  MarketDataSource.load: ${loads[0]!.markets} markets; JS heap +${range(loads.map((x) => x.peakMb))} MB above its resting size at the peak (capacity up to ${range(
    loads.map((x) => x.capMb),
    0,
  )} MB); CPU ${range(
    loads.map((x) => x.cpuMs),
    0,
  )} ms`,
);
console.log(
  `  yardstick, the same pages through JSON.parse alone: ${parses[0]!.markets} markets; JS heap +${range(parses.map((x) => x.peakMb))} MB; CPU ${range(
    parses.map((x) => x.cpuMs),
    0,
  )} ms`,
);
process.exit(0);
