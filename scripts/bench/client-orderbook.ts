// Order-book deltas applied per second on one core (aim: > 1,000,000/s).
// Deltas are pre-generated (random walk near the touch, both sides, mixed use_yes_price) so the
// figure measures the book, not the generator.
import { OrderBook } from "../../src/kalshi/orderbook.ts";

const N = 5_000_000;
const side = new Uint8Array(N);
const price = new Int32Array(N);
const delta = new Int32Array(N);
let seed = 42;
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const level = new Map<number, number>();
for (let i = 0; i < N; i++) {
  const s = rnd() < 0.5 ? 0 : 1;
  const p = (30 + Math.floor(rnd() * 20)) * 100 + (s ? 10_000 : 0);
  const cur = level.get(p) ?? 0;
  // Keep levels non-negative as a real feed does: removals never exceed what rests.
  const d = cur > 0 && rnd() < 0.45 ? -Math.min(cur, 1 + Math.floor(rnd() * 500)) : 1 + Math.floor(rnd() * 500);
  level.set(p, cur + d);
  side[i] = s;
  price[i] = p - (s ? 10_000 : 0);
  delta[i] = d;
}

function run(useYesPrice: boolean): number {
  const b = new OrderBook("BENCH", useYesPrice);
  b.applySnapshot([], []);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const s = side[i] === 0 ? "yes" : "no";
    const p = s === "no" && useYesPrice ? 10_000 - price[i]! : price[i]!;
    b.applyDelta(s, p, delta[i]!);
  }
  const ms = performance.now() - t0;
  if (!b.trusted) throw new Error(`book lost trust: ${b.reason}`);
  return ms;
}

run(false); // warm-up
for (const mode of [false, true]) {
  const ms = run(mode);
  const rate = (N / ms) * 1000;
  console.log(
    `orderbook deltas (use_yes_price=${mode}): ${N.toLocaleString("en-US")} in ${ms.toFixed(0)} ms = ${Math.round(rate).toLocaleString("en-US")} deltas/s`,
  );
}
