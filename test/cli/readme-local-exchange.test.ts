// README "Trade against the local exchange", followed as written: a key pair (PKCS#8, what
// `openssl genrsa` writes), `kalshi-bot sim` with the README's flags, the README's config with the
// port the sim got; `verify --mode trade` passes and one live cycle places orders on that exchange.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, cleanup, ensureBinary, runBin, startBin, tempDir } from "../helpers/bin.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

test("the README's local-exchange setup verifies and trades live", async () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.split("## Trade against the local exchange")[1]!.split("\n## ")[0]!;
  const simLine = /^kalshi-bot sim (.+)$/m.exec(section)![1]!.split(/\s+/);
  const configJson = /```json\n([\s\S]+?)\n```/.exec(section)![1]!;
  const dir = tempDir("readme-sim");
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(join(dir, "sim-key.pem"), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  writeFileSync(join(dir, "sim-key.pub"), publicKey.export({ type: "spki", format: "pem" }));
  // The README's flags, with a free port instead of 8080.
  const args = simLine.map((a, i) => (simLine[i - 1] === "--port" ? "0" : a));
  const sim = startBin(["sim", ...args], { cwd: dir });
  const out = await sim.waitFor(/sim: REST /, 15_000);
  const port = /^http:\/\/127\.0\.0\.1:(\d+)\//m.exec(out)![1]!;
  expect(out).toContain("sim: 40 markets, 1 account(s), tier basic, seed 42");
  writeFileSync(join(dir, "advanced_config.json"), configJson.replace("127.0.0.1:8080", `127.0.0.1:${port}`));
  const v = await runBin(["verify", "--mode", "trade"], { cwd: dir, timeoutMs: 60_000 });
  expect(v.code, v.output).toBe(0);
  const r = await runBin(["--mode", "trade", "--once", "--skip-setup-wizard", "--non-interactive"], { cwd: dir, timeoutMs: 90_000 });
  expect(r.code, r.output).toBe(0);
  expect(r.stdout).toMatch(/bankroll \(live\): cash \$\d+\.\d{2}/);
  const st = JSON.parse((await runBin(["status", "--json"], { cwd: dir })).stdout) as { ledger: string };
  expect(st.ledger).toBe("live");
  // Orders reached that exchange (the run cancels its resting ones as it exits: cancel_on_exit).
  const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
  const sent = (db.query("select count(*) n from orders where paper = 0 and order_id is not null").get() as { n: number }).n;
  db.close();
  expect(sent).toBeGreaterThan(0);
  expect(await sim.stop()).toBe(0);
}, 180_000);

test("kalshi-bot sim --print-config: a key file and a ready config that verifies and trades; the key is reused on the next start", async () => {
  const dir = tempDir("sim-print-config");
  const start = async () => {
    const sim = startBin(["sim", "--port", "0", "--print-config"], { cwd: dir });
    const out = await sim.waitFor(/sim: REST /, 15_000);
    return { sim, config: /^\{[\s\S]*?\n\}\n/m.exec(out)![0] };
  };
  const first = await start();
  const cfg = JSON.parse(first.config) as {
    exchange: { base_url: string; api_key_id: string; private_key_path: string };
    trading: { dry_run: boolean; series_tickers: string[]; strategies: { market_maker: { enabled: boolean } } };
  };
  // Like the README's config: the market maker (shipped disabled) on, for a play exchange.
  expect(cfg.trading.strategies.market_maker.enabled).toBe(true);
  expect(cfg.exchange.api_key_id).toBe("sim-local");
  expect(cfg.exchange.private_key_path).toBe(join(dir, "sim-key.pem"));
  expect(cfg.trading.series_tickers).toContain("KXHIGHNY");
  const key = readFileSync(join(dir, "sim-key.pem"), "utf8");
  expect(statSync(join(dir, "sim-key.pem")).mode & 0o777).toBe(0o600);
  writeFileSync(join(dir, "advanced_config.json"), first.config);
  const v = await runBin(["verify", "--mode", "trade"], { cwd: dir, timeoutMs: 60_000 });
  expect(v.code, v.output).toBe(0);
  const r = await runBin(["--mode", "trade", "--once", "--skip-setup-wizard", "--non-interactive", "--lock-file", join(dir, "bot.lock")], {
    cwd: dir,
    timeoutMs: 90_000,
  });
  expect(r.code, r.output).toBe(0);
  expect(r.stdout).toMatch(/bankroll \(live\): cash \$\d+\.\d{2}/);
  expect(await first.sim.stop()).toBe(0);
  // Started again: the same key file, so the saved config authenticates (on the new port).
  const second = await start();
  expect(readFileSync(join(dir, "sim-key.pem"), "utf8")).toBe(key);
  writeFileSync(join(dir, "advanced_config.json"), second.config);
  const v2 = await runBin(["verify", "--mode", "trade"], { cwd: dir, timeoutMs: 60_000 });
  expect(v2.code, v2.output).toBe(0);
  expect(await second.sim.stop()).toBe(0);
  const bad = await runBin(["sim", "--port", "0", "--key-file", "x.pem"], { cwd: dir });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("--key-file goes with --print-config");
}, 180_000);
