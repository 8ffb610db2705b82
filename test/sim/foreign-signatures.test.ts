// Signatures made by other implementations than ours, sent to the compiled `dist/kalshi-bot sim`:
// openssl (dgst and pkeyutl, RSA-PSS, SHA-256, salt 32) from a shell with curl, and Python's
// `cryptography` exactly like Kalshi's starter code (PSS, MGF1-SHA256, salt DIGEST_LENGTH), over
// REST and the WebSocket handshake. Tampered path, method, timestamp → Kalshi's 401 bodies; the
// query string is not part of the message; PKCS#1 and PKCS#8 keys. The other direction too:
// openssl and Python verify what our signer produces. Keys are generated at run time by openssl.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { privateKeyFromPem, signMessage } from "../../src/kalshi/signer.ts";
import { cleanup, tempDir } from "../helpers/bin.ts";
import { handScenario, spawnSimBinary, T_BIN, type SimProcess } from "./helpers.ts";

const HAVE_OPENSSL = Bun.spawnSync(["openssl", "version"]).exitCode === 0;
const HAVE_CURL = Bun.spawnSync(["curl", "--version"]).exitCode === 0;
const HAVE_PY_CRYPTO = Bun.spawnSync(["python3", "-c", "import cryptography"]).exitCode === 0;
if (!HAVE_PY_CRYPTO) console.warn("foreign-signatures: python3 without `cryptography`: the Python cases are skipped");

const BAD_SIG = { error: { code: "authentication_error", message: "authentication_error", details: "INCORRECT_API_KEY_SIGNATURE" } };
const EXPIRED = { error: { code: "header_timestamp_expired", message: "header timestamp expired" } };

let dir: string;
let sim: SimProcess;
/** PKCS#8 private key (PEM header "PRIVATE KEY") registered with its SPKI public key. */
let p8: string;
/** PKCS#1 private key (PEM header "RSA PRIVATE KEY") registered with its PKCS#1 public key (BEGIN RSA PUBLIC KEY). */
let p1: string;

function run(cmd: string[], stdin?: string | Uint8Array): Buffer {
  const r = Bun.spawnSync(cmd, {
    stdin: stdin === undefined ? "ignore" : typeof stdin === "string" ? Buffer.from(stdin) : stdin,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed (${r.exitCode}): ${r.stderr.toString()}`);
  return r.stdout;
}

type Pad = "pss32" | "pss-max" | "pkcs1v15";
const SIGOPT: Record<Pad, string[]> = {
  pss32: ["rsa_padding_mode:pss", "rsa_pss_saltlen:32"],
  "pss-max": ["rsa_padding_mode:pss", "rsa_pss_saltlen:max"],
  pkcs1v15: ["rsa_padding_mode:pkcs1"],
};

/** `openssl dgst -sha256 -sign` over the message: base64 signature. */
function opensslDgst(key: string, message: string, pad: Pad = "pss32"): string {
  return run(["openssl", "dgst", "-sha256", "-sign", key, ...SIGOPT[pad].flatMap((o) => ["-sigopt", o])], message).toString("base64");
}

/** Hash with `openssl dgst -binary`, sign the digest with `openssl pkeyutl`: base64 signature. */
function opensslPkeyutl(key: string, message: string): string {
  const digest = run(["openssl", "dgst", "-sha256", "-binary"], message);
  return run(
    ["openssl", "pkeyutl", "-sign", "-inkey", key, "-pkeyopt", "digest:sha256", ...SIGOPT.pss32.flatMap((o) => ["-pkeyopt", o])],
    digest,
  ).toString("base64");
}

/** Headers for Kalshi: timestamp in ms, signature over ts + METHOD + path (no query). */
function headers(keyId: string, sig: string, ts: string): string[] {
  return ["-H", `KALSHI-ACCESS-KEY: ${keyId}`, "-H", `KALSHI-ACCESS-TIMESTAMP: ${ts}`, "-H", `KALSHI-ACCESS-SIGNATURE: ${sig}`];
}

/** A request sent with curl: status and parsed body. */
function curl(method: string, pathAndQuery: string, hdrs: string[], body?: unknown): { status: number; body: any } {
  const args = ["curl", "-sS", "--max-time", "10", "-X", method, "-o", "-", "-w", "\n%{http_code}", ...hdrs];
  if (body !== undefined) args.push("-H", "content-type: application/json", "--data-binary", JSON.stringify(body));
  args.push(`${sim.origin}${pathAndQuery}`);
  const out = run(args).toString();
  const nl = out.lastIndexOf("\n");
  const text = out.slice(0, nl);
  return { status: Number(out.slice(nl + 1)), body: text ? JSON.parse(text) : null };
}

/** Sign `METHOD path` (path as signed; query excluded) with openssl and send with curl. */
function signedCurl(
  keyId: string,
  key: string,
  method: string,
  pathAndQuery: string,
  body?: unknown,
  opts: { signPath?: string; signMethod?: string; ts?: string; headerTs?: string; pkeyutl?: boolean; pad?: Pad } = {},
) {
  const ts = opts.ts ?? String(Date.now());
  const message = `${ts}${opts.signMethod ?? method}${opts.signPath ?? pathAndQuery.split("?")[0]}`;
  const sig = opts.pkeyutl ? opensslPkeyutl(key, message) : opensslDgst(key, message, opts.pad);
  return curl(method, pathAndQuery, headers(keyId, sig, opts.headerTs ?? ts), body);
}

const order = (extra: Record<string, unknown> = {}) => ({
  ticker: T_BIN,
  side: "bid",
  count: "1.00",
  price: "0.0500",
  time_in_force: "good_till_canceled",
  self_trade_prevention_type: "taker_at_cross",
  client_order_id: crypto.randomUUID(),
  ...extra,
});

beforeAll(async () => {
  if (!HAVE_OPENSSL || !HAVE_CURL) return;
  dir = tempDir("foreign-sig-");
  p8 = join(dir, "p8.pem");
  p1 = join(dir, "p1.pem");
  run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", p8]);
  run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", join(dir, "tmp8.pem")]);
  run(["openssl", "rsa", "-in", join(dir, "tmp8.pem"), "-traditional", "-out", p1]);
  expect(readFileSync(p8, "utf8")).toStartWith("-----BEGIN " + "PRIVATE KEY-----");
  expect(readFileSync(p1, "utf8")).toStartWith("-----BEGIN RSA " + "PRIVATE KEY-----");
  const spki = run(["openssl", "pkey", "-in", p8, "-pubout"]).toString();
  const pkcs1Pub = run(["openssl", "rsa", "-in", p1, "-RSAPublicKey_out"]).toString();
  expect(pkcs1Pub).toStartWith("-----BEGIN RSA PUBLIC KEY-----");
  sim = await spawnSimBinary({
    accounts: [
      { id: "ossl-p8", publicKeyPem: spki, balance: "100" },
      { id: "ossl-p1", publicKeyPem: pkcs1Pub, balance: "100" },
    ],
    args: ["--tier", "unlimited"],
    scenario: handScenario(),
  });
}, 60_000);

afterAll(async () => {
  await sim?.stop();
  await cleanup();
});

describe.skipIf(!HAVE_OPENSSL || !HAVE_CURL)("openssl-signed requests sent with curl", () => {
  test("PKCS#8 key, openssl dgst: balance 200", () => {
    const r = signedCurl("ossl-p8", p8, "GET", "/trade-api/v2/portfolio/balance");
    expect(r.status).toBe(200);
    expect(r.body.balance_dollars).toBe("100.0000");
  });

  test("PKCS#1 key (registered as BEGIN RSA PUBLIC KEY), openssl pkeyutl on the digest: balance 200", () => {
    const r = signedCurl("ossl-p1", p1, "GET", "/trade-api/v2/portfolio/balance", undefined, { pkeyutl: true });
    expect(r.status).toBe(200);
    expect(r.body.balance).toBe(10_000);
  });

  test("signed writes: create 201, cancel 200, cancel-all 204", () => {
    const c = signedCurl("ossl-p8", p8, "POST", "/trade-api/v2/portfolio/events/orders", order());
    expect(c.status).toBe(201);
    const d = signedCurl("ossl-p8", p8, "DELETE", `/trade-api/v2/portfolio/events/orders/${c.body.order_id}`);
    expect(d.status).toBe(200);
    expect(d.body.reduced_by).toBe("1.00");
    expect(signedCurl("ossl-p1", p1, "POST", "/trade-api/v2/portfolio/events/orders", order(), { pkeyutl: true }).status).toBe(201);
    expect(signedCurl("ossl-p1", p1, "DELETE", "/trade-api/v2/portfolio/events/orders").status).toBe(204);
  });

  test("the query string is not part of the signature", () => {
    const ok = signedCurl("ossl-p8", p8, "GET", "/trade-api/v2/portfolio/orders?limit=5&status=resting");
    expect(ok.status).toBe(200);
    expect(ok.body.cursor).toBe("");
    const withQuery = signedCurl("ossl-p8", p8, "GET", "/trade-api/v2/portfolio/orders?limit=5", undefined, {
      signPath: "/trade-api/v2/portfolio/orders?limit=5",
    });
    expect(withQuery).toEqual({ status: 401, body: BAD_SIG });
  });

  test("tampered path, method, timestamp, prefix → INCORRECT_API_KEY_SIGNATURE", () => {
    expect(
      signedCurl("ossl-p8", p8, "GET", "/trade-api/v2/portfolio/positions", undefined, { signPath: "/trade-api/v2/portfolio/balance" }),
    ).toEqual({ status: 401, body: BAD_SIG });
    expect(signedCurl("ossl-p8", p8, "DELETE", "/trade-api/v2/portfolio/events/orders", undefined, { signMethod: "GET" })).toEqual({
      status: 401,
      body: BAD_SIG,
    });
    expect(signedCurl("ossl-p8", p8, "GET", "/trade-api/v2/portfolio/balance", undefined, { signMethod: "get" })).toEqual({
      status: 401,
      body: BAD_SIG,
    });
    const ts = String(Date.now());
    expect(
      signedCurl("ossl-p8", p8, "GET", "/trade-api/v2/portfolio/balance", undefined, { ts, headerTs: String(Number(ts) + 1) }),
    ).toEqual({ status: 401, body: BAD_SIG });
    expect(signedCurl("ossl-p8", p8, "GET", "/trade-api/v2/portfolio/balance", undefined, { signPath: "/portfolio/balance" })).toEqual({
      status: 401,
      body: BAD_SIG,
    });
    // A signature by the other account's key under this key id.
    expect(signedCurl("ossl-p8", p1, "GET", "/trade-api/v2/portfolio/balance")).toEqual({ status: 401, body: BAD_SIG });
  });

  test("wrong padding (PKCS#1 v1.5) and wrong PSS salt length are rejected (API.md §2.3, §11)", () => {
    expect(signedCurl("ossl-p8", p8, "GET", "/trade-api/v2/portfolio/balance", undefined, { pad: "pkcs1v15" })).toEqual({
      status: 401,
      body: BAD_SIG,
    });
    expect(signedCurl("ossl-p8", p8, "GET", "/trade-api/v2/portfolio/balance", undefined, { pad: "pss-max" })).toEqual({
      status: 401,
      body: BAD_SIG,
    });
  });

  test("stale and future timestamps → header_timestamp_expired; missing header; unknown key", () => {
    expect(signedCurl("ossl-p8", p8, "GET", "/trade-api/v2/portfolio/balance", undefined, { ts: String(Date.now() - 60_000) })).toEqual({
      status: 401,
      body: EXPIRED,
    });
    expect(signedCurl("ossl-p8", p8, "GET", "/trade-api/v2/portfolio/balance", undefined, { ts: String(Date.now() + 300_000) })).toEqual({
      status: 401,
      body: EXPIRED,
    });
    const ts = String(Date.now());
    const sig = opensslDgst(p8, `${ts}GET/trade-api/v2/portfolio/balance`);
    expect(
      curl("GET", "/trade-api/v2/portfolio/balance", ["-H", "KALSHI-ACCESS-KEY: ossl-p8", "-H", `KALSHI-ACCESS-TIMESTAMP: ${ts}`]),
    ).toEqual({
      status: 401,
      body: { error: { code: "signature_is_missing_from_headers", message: "signature is missing from headers" } },
    });
    expect(curl("GET", "/trade-api/v2/portfolio/balance", headers("nobody", sig, ts))).toEqual({
      status: 401,
      body: { error: { code: "authentication_error", message: "authentication_error", details: "NOT_FOUND" } },
    });
  });

  test("the WebSocket handshake signed by openssl is accepted; subscribe works", async () => {
    const ts = String(Date.now());
    const sig = opensslDgst(p1, `${ts}GET/trade-api/ws/v2`);
    const ws = new WebSocket(sim.wsUrl, {
      headers: { "KALSHI-ACCESS-KEY": "ossl-p1", "KALSHI-ACCESS-TIMESTAMP": ts, "KALSHI-ACCESS-SIGNATURE": sig },
    } as any);
    const frames: any[] = [];
    ws.onmessage = (e) => frames.push(JSON.parse(String(e.data)));
    await new Promise<void>((res, rej) => {
      ws.onopen = () => res();
      ws.onerror = () => rej(new Error("handshake refused"));
    });
    ws.send(JSON.stringify({ id: 1, cmd: "subscribe", params: { channels: ["ticker"] } }));
    const end = Date.now() + 3000;
    while (!frames.some((f) => f.type === "subscribed") && Date.now() < end) await Bun.sleep(10);
    expect(frames[0]).toEqual({ id: 1, msg: { channel: "ticker", sid: 1 }, type: "subscribed" });
    ws.close();
  });

  test("our signer's signatures verify with openssl (PSS, salt 32), and a flipped byte does not", () => {
    const message = `${Date.now()}POST/trade-api/v2/portfolio/events/orders`;
    const sig = Buffer.from(signMessage(privateKeyFromPem(readFileSync(p8, "utf8")), message), "base64");
    const pub = join(dir, "p8.pub.pem");
    writeFileSync(pub, run(["openssl", "pkey", "-in", p8, "-pubout"]));
    const sigFile = join(dir, "ours.sig");
    writeFileSync(sigFile, sig);
    const verify = () =>
      Bun.spawnSync(
        [
          "openssl",
          "dgst",
          "-sha256",
          "-verify",
          pub,
          "-sigopt",
          "rsa_padding_mode:pss",
          "-sigopt",
          "rsa_pss_saltlen:32",
          "-signature",
          sigFile,
        ],
        { stdin: Buffer.from(message), stdout: "pipe" },
      );
    const good = verify();
    expect(good.exitCode).toBe(0);
    expect(good.stdout.toString()).toContain("Verified OK");
    sig[10] = sig[10]! ^ 1;
    writeFileSync(sigFile, sig);
    expect(verify().exitCode).not.toBe(0);
  });
});

/** Kalshi's Python starter code, condensed: sign, REST call, raw-socket WebSocket handshake and one frame. */
const PY = String.raw`
import base64, json, os, socket, sys, time, urllib.request, urllib.error
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

key = serialization.load_pem_private_key(open(os.environ["KEY_PATH"], "rb").read(), password=None)
origin, key_id = os.environ["ORIGIN"], os.environ["KEY_ID"]

def sign(text):
    sig = key.sign(text.encode("utf-8"), padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH), hashes.SHA256())
    return base64.b64encode(sig).decode("utf-8")

def headers(method, path):
    ts = str(int(time.time() * 1000))
    return {"KALSHI-ACCESS-KEY": key_id, "KALSHI-ACCESS-SIGNATURE": sign(ts + method + path.split("?")[0]), "KALSHI-ACCESS-TIMESTAMP": ts}

def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(origin + path, data=data, method=method, headers={**headers(method, path), "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read().decode()
            return r.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode())

out = {}
out["balance"] = call("GET", "/trade-api/v2/portfolio/balance")
out["orders"] = call("GET", "/trade-api/v2/portfolio/orders?limit=3&status=resting")
out["create"] = call("POST", "/trade-api/v2/portfolio/events/orders", {"ticker": os.environ["TICKER"], "side": "bid", "count": "1.00", "price": "0.0500", "time_in_force": "good_till_canceled", "self_trade_prevention_type": "taker_at_cross"})

# WebSocket: the HTTP upgrade by hand, signed for GET /trade-api/ws/v2, then one masked text frame.
host, port = origin.replace("http://", "").split(":")
s = socket.create_connection((host, int(port)), timeout=5)
h = headers("GET", "/trade-api/ws/v2")
req = "GET /trade-api/ws/v2 HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" % (host, port)
req += "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
s.sendall(req.encode())
resp = b""
while b"\r\n\r\n" not in resp:
    resp += s.recv(4096)
head, rest = resp.split(b"\r\n\r\n", 1)
out["ws_status"] = int(head.split(b" ")[1])
payload = json.dumps({"id": 7, "cmd": "subscribe", "params": {"channels": ["ticker"]}}).encode()
mask = os.urandom(4)
frame = bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
s.sendall(frame)
buf = rest
def need(n):
    global buf
    while len(buf) < n:
        buf += s.recv(4096)
need(2)
ln = buf[1] & 0x7f
off = 2
if ln == 126:
    need(4); ln = int.from_bytes(buf[2:4], "big"); off = 4
need(off + ln)
out["ws_first"] = json.loads(buf[off:off + ln].decode())
s.close()
print(json.dumps(out))
`;

describe.skipIf(!HAVE_OPENSSL || !HAVE_CURL || !HAVE_PY_CRYPTO)("Python `cryptography`, as in Kalshi's starter code", () => {
  test("REST (query unsigned) and a raw-socket WebSocket handshake, with a PKCS#1 and a PKCS#8 key", () => {
    const script = join(dir, "kalshi_starter.py");
    writeFileSync(script, PY);
    for (const [keyId, keyPath] of [
      ["ossl-p1", p1],
      ["ossl-p8", p8],
    ] as const) {
      const r = Bun.spawnSync(["python3", script], {
        env: { ...process.env, ORIGIN: sim.origin, KEY_ID: keyId, KEY_PATH: keyPath, TICKER: T_BIN },
        stdout: "pipe",
        stderr: "pipe",
        timeout: 30_000,
      });
      expect(r.stderr.toString()).toBe("");
      const out = JSON.parse(r.stdout.toString());
      expect(out.balance[0]).toBe(200);
      expect(out.orders[0]).toBe(200);
      expect(out.create[0]).toBe(201);
      expect(out.create[1].remaining_count).toBe("1.00");
      expect(out.ws_status).toBe(101);
      expect(out.ws_first).toEqual({ id: 7, msg: { channel: "ticker", sid: 1 }, type: "subscribed" });
    }
  });

  test("Python verifies our signer's signatures (PSS, MGF1-SHA256, salt = digest length)", () => {
    const message = `${Date.now()}GET/trade-api/v2/portfolio/balance`;
    const sig = signMessage(privateKeyFromPem(readFileSync(p1, "utf8")), message);
    const py = `
import base64, os, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
pub = serialization.load_pem_private_key(open(os.environ["KEY_PATH"], "rb").read(), password=None).public_key()
pub.verify(base64.b64decode(os.environ["SIG"]), os.environ["MSG"].encode(), padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH), hashes.SHA256())
print("ok")
`;
    const r = Bun.spawnSync(["python3", "-c", py], {
      env: { ...process.env, KEY_PATH: p1, SIG: sig, MSG: message },
      stdout: "pipe",
      stderr: "pipe",
      timeout: 30_000,
    });
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString().trim()).toBe("ok");
  });
});
