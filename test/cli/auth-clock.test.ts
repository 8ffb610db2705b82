// The 401s users trip over most (API.md §11), through the binary against `kalshi-bot sim` in its own
// process: a clock far off the exchange's is named by `verify` before any signed request fails,
// and a key that does not match its key id gets a message that says which of the two to fix.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Server } from "bun";
import { cleanup, ensureBinary, runBin, startBin, tempDir, writeConfig, type Running } from "../helpers/bin.ts";

let dir = "";
let sim: Running;
let simBase = "";
let skewed: Server<undefined>;

function pem(kind: "private" | "public", k: { privateKey: KeyObject; publicKey: KeyObject }): string {
  return kind === "private"
    ? (k.privateKey.export({ type: "pkcs8", format: "pem" }) as string)
    : (k.publicKey.export({ type: "spki", format: "pem" }) as string);
}

beforeAll(async () => {
  await ensureBinary();
  dir = tempDir("kbot-auth-");
  const good = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
  for (const [name, k] of [
    ["good.pem", good],
    ["other.pem", other],
  ] as const) {
    writeFileSync(join(dir, name), pem("private", k), { mode: 0o600 });
    chmodSync(join(dir, name), 0o600);
  }
  writeFileSync(join(dir, "pub.pem"), pem("public", good));
  sim = startBin(
    ["sim", "--port", "0", "--seed", "5", "--api-key-id", "auth-test", "--public-key", join(dir, "pub.pem"), "--balance", "100"],
    { cwd: dir },
  );
  simBase = (await sim.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/trade-api\/v2\n/, 30_000)).split("\n")[0]!;
  // A proxy whose Date header runs 90 s ahead, as the exchange looks from a machine whose clock lags.
  const target = new URL(simBase);
  skewed = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const u = new URL(req.url);
      const r = await fetch(`${target.origin}${u.pathname}${u.search}`, { method: req.method, headers: req.headers });
      const headers = new Headers(r.headers);
      headers.set("date", new Date(Date.now() + 90_000).toUTCString());
      return new Response(await r.arrayBuffer(), { status: r.status, headers });
    },
  });
}, 60_000);

afterAll(async () => {
  skewed?.stop(true);
  await sim?.stop("SIGTERM");
  cleanup();
});

const cfg = (name: string, baseUrl: string, key: string) =>
  writeConfig(
    dir,
    {
      exchange: { environment: "sim", base_url: baseUrl, api_key_id: "auth-test", private_key_path: key },
      paths: { lock_file: "bot.lock" },
    },
    name,
  );

describe("authentication refusals name their fix", () => {
  test("verify: the clock is checked against the exchange's Date header", async () => {
    const ok = await runBin(["--config", cfg("ok.json", simBase, "good.pem"), "--verify-config", "--mode", "trade"], { cwd: dir });
    expect(ok.code, ok.output).toBe(0);
    expect(ok.stdout).toMatch(/ok +clock: within \d+ s of the exchange's/);

    const off = await runBin(
      ["--config", cfg("skew.json", `http://127.0.0.1:${skewed.port}/trade-api/v2`, "good.pem"), "--verify-config", "--mode", "trade"],
      { cwd: dir },
    );
    expect(off.code).toBe(2);
    expect(off.stdout).toMatch(/FAIL clock: this machine's clock is (89|90|91) s behind the exchange's; .*timedatectl set-ntp true/);
  });

  test("a key that is not the key id's: verify and a --once run say which setting to fix (exit 4, one line per problem, no stack)", async () => {
    const file = cfg("wrong.json", simBase, "other.pem");
    const v = await runBin(["--config", file, "--verify-config", "--mode", "trade"], { cwd: dir });
    expect(v.code).toBe(2);
    expect(v.stdout).toContain("INCORRECT_API_KEY_SIGNATURE");
    expect(v.stdout).toContain("exchange.private_key_path is not the private key of exchange.api_key_id");

    // Live, so the first request is a signed portfolio read.
    const live = writeConfig(
      dir,
      {
        exchange: { environment: "sim", base_url: simBase, api_key_id: "auth-test", private_key_path: "other.pem" },
        trading: { dry_run: false, autonomous_mode: true, non_interactive: true, series_tickers: ["KXBTCD"] },
        paths: { lock_file: "bot.lock" },
      },
      "wrong-live.json",
    );
    const r = await runBin(["--config", live, "--mode", "trade", "--once", "--skip-setup-wizard", "--non-interactive"], { cwd: dir });
    expect(r.code, r.output).toBe(4);
    expect(r.stderr).toContain("exchange.private_key_path is not the private key of exchange.api_key_id");
    expect(r.output).not.toMatch(/\n\s+at .+:\d+/);
  });
});
