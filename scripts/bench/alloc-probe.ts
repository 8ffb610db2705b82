// Allocation probe for the daemon (issue 14 goal 5: what the daemon allocates, by source). Loaded
// into the compiled binary as a preload, so the build under test is the one measured:
//
//   bun scripts/bench/engine-soak.ts --minutes 5 --markets 10000 --speed 1 --bot-log /tmp/probe.log \
//     --bot-env "BUN_OPTIONS=--preload $PWD/scripts/bench/alloc-probe.ts" [--bot-env ALLOC_PROBE_MIMALLOC=1]
//   bun scripts/bench/alloc-bins.ts /tmp/probe.log      # mimalloc's medium, large and huge bins, per second
//
// Every ALLOC_PROBE_EVERY_S seconds (default 60; the first window starts after ALLOC_PROBE_SKIP_S,
// default 60, past start-up) it writes `alloc-probe:` lines to stderr, per second of the window:
// the response bytes of each REST endpoint (as the client reads them: text() or bytes()), WebSocket
// frames and their characters, JSON.parse / JSON.stringify by input size, and the bytes the JS heap
// allocated: its size sampled every 50 ms, the rises summed (a sample that fell was a collection; the
// allocation inside that 50 ms is not counted, so the figure is a slight underestimate; the share of
// samples lost that way is printed). With ALLOC_PROBE_MIMALLOC=1 it also dumps mimalloc's statistics
// (Bun.unsafe.mimallocDump, native, to stderr) at the end of each window, between marker lines, for
// alloc-bins.ts. Those count the JS thread's allocations (JavaScriptCore's heap blocks, strings'
// characters, buffers) and other threads' as their statistics are merged in.
//
// Nothing of the bot is changed: only platform functions are wrapped (fetch, Response reads, the
// WebSocket's message event, JSON), each adding its count and passing everything through.
import { heapSize } from "bun:jsc";

const EVERY_S = Number(process.env.ALLOC_PROBE_EVERY_S ?? "60");
const SKIP_S = Number(process.env.ALLOC_PROBE_SKIP_S ?? "60");
const MIMALLOC = process.env.ALLOC_PROBE_MIMALLOC === "1";
const out = (s: string) => process.stderr.write(`alloc-probe: ${s}\n`);

const counts = new Map<string, { n: number; bytes: number }>();
const add = (k: string, bytes: number) => {
  const e = counts.get(k);
  if (e) {
    e.n++;
    e.bytes += bytes;
  } else counts.set(k, { n: 1, bytes });
};

// REST: an endpoint's path with ids folded (tickers, order ids), its body bytes as read.
const endpoint = (input: unknown, init?: { method?: string }) => {
  const path = new URL(String(input instanceof Request ? input.url : input)).pathname
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "{id}")
    .replace(/\/[A-Z][A-Z0-9._-]{5,}/g, "/{ticker}");
  return `${init?.method ?? "GET"} ${path}`;
};
const realFetch = globalThis.fetch;
globalThis.fetch = Object.assign(async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
  const r = await realFetch(input, init);
  const key = `rest ${endpoint(input, init)}`;
  const text = r.text.bind(r);
  const bytes = r.bytes.bind(r);
  Object.defineProperty(r, "text", {
    value: async () => {
      const t = await text();
      add(key, t.length);
      return t;
    },
  });
  Object.defineProperty(r, "bytes", {
    value: async () => {
      const b = await bytes();
      add(key, b.byteLength);
      return b;
    },
  });
  return r;
}, realFetch);

const sizeClass = (n: number) => (n > 50_000 ? ">50k" : n > 2_000 ? "2k-50k" : "<2k");
const realParse = JSON.parse;
JSON.parse = function parse(text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) {
  add(`JSON.parse ${sizeClass(text.length)}`, text.length);
  return realParse(text, reviver);
};
const realStringify = JSON.stringify;
JSON.stringify = function stringify(...a: Parameters<typeof JSON.stringify>) {
  const s = realStringify(...a);
  add(`JSON.stringify ${sizeClass(s?.length ?? 0)}`, s?.length ?? 0);
  return s;
} as typeof JSON.stringify;

const RealWebSocket = globalThis.WebSocket;
class ProbedWebSocket extends RealWebSocket {
  constructor(...a: ConstructorParameters<typeof WebSocket>) {
    super(...a);
    super.addEventListener("message", (ev) =>
      add("ws frames", typeof ev.data === "string" ? ev.data.length : (ev.data as ArrayBuffer).byteLength),
    );
  }
}
globalThis.WebSocket = ProbedWebSocket as typeof WebSocket;

// The JS heap: rises of its size between 50 ms samples.
let lastSize = heapSize();
let rose = 0;
let samples = 0;
let fell = 0;
setInterval(() => {
  const s = heapSize();
  samples++;
  if (s >= lastSize) rose += s - lastSize;
  else fell++;
  lastSize = s;
}, 50).unref();

let windowStart = performance.now();
let windows = 0;
const reset = () => {
  counts.clear();
  rose = 0;
  samples = 0;
  fell = 0;
  windowStart = performance.now();
};
const dump = () => {
  out(`mimalloc dump ${windows} at ${performance.now().toFixed(0)} ms`);
  Bun.unsafe.mimallocDump();
  out("mimalloc dump end");
};
setTimeout(() => {
  reset();
  if (MIMALLOC) dump();
  setInterval(() => {
    const secs = (performance.now() - windowStart) / 1000;
    windows++;
    out(`window ${windows}: ${secs.toFixed(0)} s, per second:`);
    for (const [k, v] of [...counts].sort((a, b) => b[1].bytes - a[1].bytes))
      out(`  ${k}: ${(v.n / secs).toFixed(2)} /s, ${(v.bytes / secs / 1024).toFixed(1)} KB/s (avg ${Math.round(v.bytes / v.n)})`);
    out(`  JS heap allocated: ${(rose / secs / 1024).toFixed(1)} KB/s (${fell} of ${samples} samples fell: a collection)`);
    if (MIMALLOC) dump();
    reset();
  }, EVERY_S * 1000).unref();
}, SKIP_S * 1000).unref();
