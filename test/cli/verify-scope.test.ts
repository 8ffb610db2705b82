// `verify` through the binary, for the first hour's mistakes:
//   - a scope that matches no open market (a typo'd series such as KXHIGHYN) fails, naming it; a
//     good one passes with the count, on the embedded exchange and on a remote one (the local
//     exchange over HTTP);
//   - an exchange that cannot be reached is one network problem naming host:port, never "check the
//     key id, key file, environment and the clock";
//   - one typo is one problem: one FAIL line and "1 problem found".
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, tempDir, writeConfig, type RunResult } from "../helpers/bin.ts";
import { startVenue, writeBotConfig, type Venue } from "../engine/e2e-harness.ts";
import { networkProblem } from "../../src/ops/verify.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const fails = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("FAIL"));

function oneProblem(r: RunResult): string {
  expect(r.code, r.output).toBe(2);
  expect(fails(r.stdout), r.stdout).toHaveLength(1);
  expect(r.stderr).toContain("verify: 1 problem found");
  expect(r.output).not.toMatch(/\n\s+at .+:\d+/);
  return fails(r.stdout)[0]!;
}

describe("scope on the embedded exchange", () => {
  test("a typo'd series (KXHIGHYN) matches nothing: exit 2, one FAIL naming it", async () => {
    const d = tempDir("verify-typo-");
    writeConfig(d, { trading: { series_tickers: ["KXHIGHYN"] } });
    const line = oneProblem(await runBin(["verify"], { cwd: d, timeoutMs: 60_000 }));
    expect(line).toMatch(
      /^FAIL trading scope: series KXHIGHYN matches no open market on the embedded exchange .*the bot would scan nothing; check the tickers' spelling/,
    );
  }, 70_000);

  test("the right series passes with its count; a second, empty one is named but does not fail", async () => {
    const d = tempDir("verify-good-");
    writeConfig(d, { trading: { series_tickers: ["KXHIGHNY"] } });
    const r = await runBin(["verify"], { cwd: d, timeoutMs: 60_000 });
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/^ok +trading scope: [1-9]\d* open market\(s\) in [1-9]\d* event\(s\) on the embedded exchange/m);
    writeConfig(d, { trading: { series_tickers: ["KXHIGHNY", "KXHIGHYN"] } });
    const two = await runBin(["verify"], { cwd: d, timeoutMs: 60_000 });
    expect(two.code, two.output).toBe(0);
    expect(two.stdout).toMatch(/^ok +trading scope: .*series KXHIGHYN matched none/m);
  }, 70_000);
});

describe("a remote exchange (the local one over HTTP)", () => {
  let dir = "";
  let v: Venue;
  beforeAll(async () => {
    dir = tempDir("verify-remote-");
    v = await startVenue(dir, { seed: 31 });
  });
  afterAll(async () => {
    await v?.stop();
  });

  test("the count is the exchange's open markets of the series", async () => {
    const series = [...v.sim.exchange.series.keys()][0]!;
    const cfg = writeBotConfig(dir, v, { trading: { series_tickers: [series] } }, "good.json");
    const r = await runBin(["verify", "--config", cfg, "--lock-file", join(dir, "bot.lock")], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.output).toBe(0);
    const n = Number(/trading scope: (\d+) open market/.exec(r.stdout)![1]);
    const open = [...v.sim.exchange.markets.values()].filter((m) => m.seriesTicker === series && m.status === "active").length;
    expect(n).toBe(open);
  }, 70_000);

  test("a typo'd series: one FAIL, the key and clock pass", async () => {
    const cfg = writeBotConfig(dir, v, { trading: { series_tickers: ["KXHIGHYN"] } }, "typo.json");
    const r = await runBin(["verify", "--config", cfg, "--lock-file", join(dir, "bot.lock")], { cwd: dir, timeoutMs: 60_000 });
    expect(oneProblem(r)).toContain("series KXHIGHYN matches no open market on 127.0.0.1:");
    expect(r.stdout).toMatch(/^ok +exchange authentication/m);
  }, 70_000);

  test("refused connection: one network problem naming host:port, the key not blamed", async () => {
    // A port that was just free: nothing listens on it now.
    const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = s.port;
    s.stop(true);
    const cfg = writeBotConfig(dir, v, { exchange: { base_url: `http://127.0.0.1:${port}/trade-api/v2` } }, "refused.json");
    const r = await runBin(["verify", "--config", cfg, "--lock-file", join(dir, "bot.lock")], { cwd: dir, timeoutMs: 60_000 });
    const line = oneProblem(r);
    expect(line).toBe(
      `FAIL exchange: cannot reach 127.0.0.1:${port}: connection refused (nothing listens there); a network problem, not the key: check exchange.base_url, this machine's network and firewall`,
    );
    expect(r.stdout).not.toContain("check the key id");
    expect(r.stdout).toMatch(/^- +exchange authentication: skipped: the exchange cannot be reached/m);
    expect(r.stdout).toMatch(/^- +trading scope: skipped: the exchange cannot be reached/m);
  }, 70_000);
});

describe("one typo, one problem", () => {
  test("a misspelt config key is one FAIL line and 1 problem", async () => {
    const d = tempDir("verify-key-");
    writeConfig(d, { trading: { seris_tickers: ["KXHIGHNY"] } });
    const line = oneProblem(await runBin(["verify"], { cwd: d }));
    expect(line).toContain("trading.seris_tickers: unknown key");
  });

  test("what a failed lookup, a refusal and a timeout are called (the errors fetch throws)", () => {
    const err = (code: string, message: string) => Object.assign(new TypeError(message), { code });
    expect(networkProblem(err("ENOTFOUND", "getaddrinfo ENOTFOUND api.elections.kalshi.cm"))).toBe("the host name does not resolve (DNS)");
    expect(networkProblem(err("ECONNREFUSED", "Unable to connect. Is the computer able to access the url?"))).toBe(
      "connection refused (nothing listens there)",
    );
    expect(networkProblem(Object.assign(new Error("The operation timed out."), { name: "TimeoutError" }))).toBe("no answer in time");
    expect(networkProblem(new Error("HTTP 401 authentication_error"))).toBeNull();
  });
});
