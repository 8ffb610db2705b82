// The bot's orders as the exchange sees them, for scripts/systemd-e2e.sh: signed GET /portfolio/orders
// (RSA-PSS over timestamp + method + path, as Kalshi signs) with the bot's key, all pages. Run inside
// the box by the bot's own binary: BUN_BE_BUN=1 kalshi-bot exchange-orders.js BASE_URL KEY_ID KEY_FILE CMD
//   resting            number of resting orders
//   resting-ids        their order ids, one a line
//   resting-of FILE    how many of the order ids listed in FILE still rest
//   total              number of orders ever placed
//   dups               "client_ids=N levels=M": client order ids used twice, and (ticker, side, price)
//                      levels with more than one resting order (both must be 0)
const { constants, createPrivateKey, sign } = require("node:crypto");
const { readFileSync } = require("node:fs");
const [base, keyId, keyFile, cmd, arg] = process.argv.slice(2);
const key = createPrivateKey(readFileSync(keyFile, "utf8"));

async function get(path, query) {
  const u = new URL(base + path);
  for (const [k, v] of Object.entries(query)) if (v) u.searchParams.set(k, v);
  const ts = String(Date.now());
  const sig = sign("sha256", Buffer.from(ts + "GET" + u.pathname), {
    key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
  }).toString("base64");
  const res = await fetch(u, {
    headers: { "KALSHI-ACCESS-KEY": keyId, "KALSHI-ACCESS-TIMESTAMP": ts, "KALSHI-ACCESS-SIGNATURE": sig },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`GET ${u.pathname}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

async function orders(status) {
  const out = [];
  let cursor = "";
  for (let page = 0; page < 100; page++) {
    const r = await get("/portfolio/orders", { limit: "1000", status, cursor });
    out.push(...r.orders);
    cursor = r.cursor;
    if (!cursor || r.orders.length === 0) break;
  }
  return out;
}

(async () => {
  if (cmd === "resting") console.log((await orders("resting")).length);
  else if (cmd === "resting-ids") for (const o of await orders("resting")) console.log(o.order_id);
  else if (cmd === "resting-of") {
    const ids = new Set(readFileSync(arg, "utf8").split("\n").filter(Boolean));
    console.log((await orders("resting")).filter((o) => ids.has(o.order_id)).length);
  } else if (cmd === "total") console.log((await orders("")).length);
  else if (cmd === "dups") {
    const all = await orders("");
    const seen = new Map();
    for (const o of all) seen.set(o.client_order_id, (seen.get(o.client_order_id) ?? 0) + 1);
    const levels = new Map();
    for (const o of all.filter((o) => o.status === "resting")) {
      const k = `${o.ticker} ${o.side} ${o.action} ${o.yes_price_dollars ?? o.yes_price} ${o.no_price_dollars ?? o.no_price}`;
      levels.set(k, (levels.get(k) ?? 0) + 1);
    }
    const n = (m) => [...m.values()].filter((c) => c > 1).length;
    console.log(`client_ids=${n(seen)} levels=${n(levels)} orders=${all.length}`);
  } else {
    console.error(`unknown command ${cmd}`);
    process.exit(2);
  }
})().catch((e) => {
  console.error(String(e.message ?? e));
  process.exit(1);
});
