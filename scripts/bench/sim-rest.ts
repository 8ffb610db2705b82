// Bench: REST requests per second served by the sim over loopback HTTP (signed reads, public
// reads, and order create+cancel), with 32 requests in flight.
//   bun scripts/bench/sim-rest.ts [seconds-per-phase=4]
import { authHeaders, privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { generateKeyPair } from "../../src/sim/keys.ts";
import { startSimServer } from "../../src/sim/server.ts";

const SECS = Number(process.argv[2] ?? 4);
const CONC = 32;
const k = generateKeyPair();
const key = privateKeyFromPem(k.privateKeyPem);
const s = await startSimServer({
  quiet: true,
  tier: "unlimited",
  seed: 1,
  accounts: [{ apiKeyId: "bench", publicKeyPem: k.publicKeyPem, balanceMicros: 1e13 }],
});
const ticker = [...s.exchange.markets.values()].find((m) => m.status === "active")!.ticker;

async function phase(name: string, one: () => Promise<void>): Promise<void> {
  let n = 0;
  const end = performance.now() + SECS * 1000;
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (performance.now() < end) {
        await one();
        n++;
      }
    }),
  );
  console.log(`sim REST ${name}: ${Math.round(n / SECS).toLocaleString("en-US")} req/s`);
}

const signed = (method: string, path: string, body?: unknown) =>
  fetch(s.baseUrl + path, {
    method,
    headers: { ...authHeaders("bench", key, method, `/trade-api/v2${path.split("?")[0]}`), "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });

await phase(
  "public GET /markets/{t}/orderbook",
  async () => void (await (await fetch(`${s.baseUrl}/markets/${ticker}/orderbook`)).arrayBuffer()),
);
await phase("signed GET /portfolio/balance", async () => void (await (await signed("GET", "/portfolio/balance")).arrayBuffer()));
await phase("signed POST create + DELETE cancel (2 req each)", async () => {
  const r = await signed("POST", "/portfolio/events/orders", {
    ticker,
    side: "bid",
    count: "1.00",
    price: "0.0100",
    time_in_force: "good_till_canceled",
    self_trade_prevention_type: "taker_at_cross",
    client_order_id: crypto.randomUUID(),
  });
  const j = (await r.json()) as { order_id: string };
  await (await signed("DELETE", `/portfolio/events/orders/${j.order_id}`)).arrayBuffer();
});
await s.stop();
