// Our signatures, checked by independent verifiers (node:crypto verify and the openssl CLI) over
// exactly what arrived at a local server.
import { afterAll, describe, expect, test } from "bun:test";
import { constants, createPrivateKey, verify } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KalshiClient } from "../../src/kalshi/client.ts";
import { json, RecordingServer, testKeys } from "./helpers.ts";

const keys = testKeys();
const server = new RecordingServer(() => json({ balance: 100, portfolio_value: 0, updated_ts: 1, orders: [], cursor: "" }));
const tmp = mkdtempSync(join(tmpdir(), "kalshi-sign-"));
afterAll(() => {
  server.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function nodeVerify(message: string, sigB64: string): boolean {
  return verify(
    "sha256",
    Buffer.from(message),
    { key: keys.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    Buffer.from(sigB64, "base64"),
  );
}

function opensslVerify(message: string, sigB64: string): boolean {
  const msg = join(tmp, "msg");
  const sig = join(tmp, "sig");
  const pub = join(tmp, "pub.pem");
  writeFileSync(msg, message);
  writeFileSync(sig, Buffer.from(sigB64, "base64"));
  writeFileSync(pub, keys.publicPem);
  const r = Bun.spawnSync(
    [
      "openssl",
      "dgst",
      "-sha256",
      "-sigopt",
      "rsa_padding_mode:pss",
      "-sigopt",
      "rsa_pss_saltlen:32",
      "-sigopt",
      "rsa_mgf1_md:sha256",
      "-verify",
      pub,
      "-signature",
      sig,
      msg,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  return r.exitCode === 0 && r.stdout.toString().includes("Verified OK");
}
const haveOpenssl = Bun.spawnSync(["openssl", "version"], { stdout: "pipe", stderr: "pipe" }).exitCode === 0;

describe("request signing", () => {
  for (const [label, pem] of [
    ["PKCS#1", keys.pkcs1Pem],
    ["PKCS#8", keys.pkcs8Pem],
  ] as const) {
    test(`${label} key: signature over ts+METHOD+pathname verifies; the query is not signed`, async () => {
      const c = new KalshiClient({ baseUrl: server.url, apiKeyId: "key-id-123456", privateKey: createPrivateKey(pem) });
      const before = server.hits.length;
      await c.listOrders({ ticker: "ABC", status: "resting", limit: 5 });
      const hit = server.hits[before]!;
      expect(hit.url.search).toBe("?ticker=ABC&status=resting&limit=5");
      const ts = hit.headers.get("KALSHI-ACCESS-TIMESTAMP")!;
      const sig = hit.headers.get("KALSHI-ACCESS-SIGNATURE")!;
      expect(hit.headers.get("KALSHI-ACCESS-KEY")).toBe("key-id-123456");
      expect(ts).toMatch(/^\d{13}$/);
      expect(Math.abs(Number(ts) - Date.now())).toBeLessThan(5000);
      expect(sig).toMatch(/^[A-Za-z0-9+/]+=*$/); // standard base64, not URL-safe
      const message = `${ts}${hit.method}${hit.url.pathname}`;
      expect(message).toBe(`${ts}GET/trade-api/v2/portfolio/orders`);
      expect(nodeVerify(message, sig)).toBe(true);
      // The same signature must not verify over the query-bearing path or a PKCS#1 v1.5 reading.
      expect(nodeVerify(`${message}${hit.url.search}`, sig)).toBe(false);
      expect(verify("sha256", Buffer.from(message), keys.publicKey, Buffer.from(sig, "base64"))).toBe(false);
      if (haveOpenssl) expect(opensslVerify(message, sig)).toBe(true);
    });
  }

  test("a POST signs method and path but not the body", async () => {
    server.handler = () => json({ order_id: "o1", fill_count: "0.00", remaining_count: "1.00", ts_ms: 1 }, 201);
    const c = new KalshiClient({ baseUrl: server.url, apiKeyId: "k", privateKey: keys.privateKey });
    const before = server.hits.length;
    await c.createOrder({
      ticker: "T",
      side: "bid",
      price: 100,
      count: 100,
      time_in_force: "good_till_canceled",
      self_trade_prevention_type: "taker_at_cross",
    });
    const hit = server.hits[before]!;
    const ts = hit.headers.get("KALSHI-ACCESS-TIMESTAMP")!;
    const sig = hit.headers.get("KALSHI-ACCESS-SIGNATURE")!;
    expect(nodeVerify(`${ts}POST/trade-api/v2/portfolio/events/orders`, sig)).toBe(true);
    expect(nodeVerify(`${ts}POST/trade-api/v2/portfolio/events/orders${hit.body}`, sig)).toBe(false);
    if (haveOpenssl) expect(opensslVerify(`${ts}POST/trade-api/v2/portfolio/events/orders`, sig)).toBe(true);
    // The body went out in Kalshi's string formats.
    expect(JSON.parse(hit.body)).toMatchObject({ price: "0.0100", count: "1.00", side: "bid" });
  });

  test("public reads without credentials carry no auth headers", async () => {
    server.handler = () => json({ exchange_active: true, trading_active: false });
    const c = new KalshiClient({ baseUrl: server.url });
    const before = server.hits.length;
    const s = await c.getExchangeStatus();
    expect(s.trading_active).toBe(false);
    expect(server.hits[before]!.headers.get("KALSHI-ACCESS-SIGNATURE")).toBeNull();
  });

  test("an authenticated endpoint without credentials fails before sending anything", async () => {
    const c = new KalshiClient({ baseUrl: server.url });
    const before = server.hits.length;
    await expect(c.getBalance()).rejects.toMatchObject({ code: "missing_credentials", outcome: "rejected" });
    expect(server.hits.length).toBe(before);
  });
});
