// `kalshi-bot sim` as a process: prints its base URL once listening, serves, stops on SIGTERM.
import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authHeaders, privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { testKeys } from "./helpers.ts";

test("kalshi-bot sim: base URL on stdout, signed balance, clean exit on SIGTERM", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sim-cli-"));
  const k = testKeys();
  writeFileSync(join(dir, "pub.pem"), k.publicKeyPem);
  const proc = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, "../../src/cli.ts"),
      "sim",
      "--port",
      "0",
      "--seed",
      "4",
      "--markets",
      "12",
      "--api-key-id",
      "cli-a",
      "--public-key",
      join(dir, "pub.pem"),
      "--balance",
      "250.50",
      "--api-key-id",
      "cli-b",
      "--public-key",
      join(dir, "pub.pem"),
    ],
    {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1" },
    },
  );
  try {
    const reader = proc.stdout.getReader();
    let out = "";
    const deadline = Date.now() + 10_000;
    const urlLine = () => out.split("\n").find((l) => /^http:\/\//.test(l.trim()));
    while (!urlLine() && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    expect(out.split("\n")[0]).toMatch(/^http:/);
    const baseUrl = urlLine()!.trim();
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/trade-api\/v2$/);
    const key = privateKeyFromPem(k.privateKeyPem);
    for (const [id, dollars] of [
      ["cli-a", "250.5000"],
      ["cli-b", "1000.0000"],
    ]) {
      const r = await fetch(`${baseUrl}/portfolio/balance`, {
        headers: { ...authHeaders(id!, key, "GET", "/trade-api/v2/portfolio/balance") },
      });
      expect((await r.json()).balance_dollars).toBe(dollars!);
    }
    const markets = await (await fetch(`${baseUrl}/markets?limit=100`)).json();
    expect(markets.markets.length).toBe(12);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  } finally {
    proc.kill("SIGKILL");
  }
}, 20_000);

test("kalshi-bot sim --start pins the calendar (tickers carry its dates); a bad --start is one clear line", async () => {
  const cli = join(import.meta.dir, "../../src/cli.ts");
  const proc = Bun.spawn(
    [process.execPath, cli, "sim", "--port", "0", "--seed", "4", "--markets", "12", "--start", "2026-11-20T14:00:00Z"],
    { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } },
  );
  try {
    const reader = proc.stdout.getReader();
    let out = "";
    while (!/^http:\/\/\S+/m.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    const baseUrl = /^(http:\/\/\S+)/m.exec(out)![1]!;
    const markets = (await (await fetch(`${baseUrl}/markets?limit=100`)).json()).markets as Array<{ ticker: string }>;
    expect(markets.some((m) => m.ticker.startsWith("KXHIGHNY-26NOV20-"))).toBe(true);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  } finally {
    proc.kill("SIGKILL");
  }
  const bad = Bun.spawnSync([process.execPath, cli, "sim", "--port", "0", "--start", "yesterday"], {
    env: { ...process.env, NO_COLOR: "1" },
  });
  expect(bad.exitCode).not.toBe(0);
  const err = bad.stderr.toString();
  expect(err).toContain("--start yesterday: expected an ISO time with its zone");
  expect(err).not.toContain("    at ");
}, 20_000);
