// `kalshi-bot --verify-config --mode trade` / `kalshi-bot verify`: every check a live run needs,
// all problems listed at once, exit 0 only when all pass.
import { defineCommand } from "citty";
import { ConfigError, loadConfig, type LoadedConfig } from "../config/load.ts";
import { KalshiClient, KeyFileError, authFix, loadPrivateKey, redactKeyId, isKalshiApiError } from "../kalshi/index.ts";
import { configuredBaseUrl } from "../engine/exchange-session.ts";
import { formatDollars2, centsToMicros } from "../kalshi/money.ts";
import { credentialPresence, liveChecklist, pathChecks, type CheckResult } from "../ops/verify.ts";
import { log } from "../ops/log.ts";
import { configArgs, EXIT, guarded, lockArgs } from "./shared.ts";

interface VerifyArgs {
  config?: string;
  "lock-file"?: string;
  mode?: string;
  json?: boolean;
}

async function authenticatedRead(loaded: LoadedConfig): Promise<CheckResult> {
  const ex = loaded.config.exchange;
  const baseUrl = configuredBaseUrl(ex);
  if (baseUrl === null) {
    return { name: "exchange authentication", ok: true, skipped: true, detail: "sim: the embedded exchange starts with the bot (nothing remote to authenticate against)" };
  }
  if (!loaded.apiKeyId || !loaded.privateKeyPath) {
    return { name: "exchange authentication", ok: false, skipped: true, detail: "skipped: no credentials configured" };
  }
  let key;
  try {
    key = loadPrivateKey(loaded.privateKeyPath, { systemdCredential: loaded.keySource === "systemd-credential" });
  } catch {
    return { name: "exchange authentication", ok: false, skipped: true, detail: "skipped: the private key could not be loaded (see above)" };
  }
  const client = new KalshiClient({ baseUrl, apiKeyId: loaded.apiKeyId, privateKey: key, tier: ex.rate_tier, timeoutMs: Math.min(ex.request_timeout_ms, 15_000), maxAttempts: 2, retryBudgetMs: 20_000 });
  try {
    const bal = await client.getBalance();
    return { name: "exchange authentication", ok: true, detail: `GET /portfolio/balance at ${new URL(baseUrl).host} as key ${redactKeyId(loaded.apiKeyId)}: balance $${formatDollars2(centsToMicros(bal.balance))}` };
  } catch (e) {
    const why = isKalshiApiError(e) ? `${e.status || "network"} ${e.code ?? ""} ${e.message}`.trim() : (e as Error).message;
    return { name: "exchange authentication", ok: false, detail: `authenticated read at ${new URL(baseUrl).host} failed (${why}); ${authFix(e) ?? "check the key id, key file, environment (demo keys only work on demo) and the clock"}` };
  }
}

/** Beyond this, Kalshi refuses signed requests as stale or early (its window is asymmetric and undocumented: API.md §2). */
const MAX_CLOCK_SKEW_MS = 10_000;

/**
 * This machine's clock against the exchange's (the HTTP Date header of a public read, 1 s
 * resolution): a VPS without time sync drifts until every signed request is a 401.
 */
async function clockCheck(loaded: LoadedConfig): Promise<CheckResult | null> {
  const ex = loaded.config.exchange;
  const baseUrl = configuredBaseUrl(ex);
  if (baseUrl === null) return null;
  const t0 = Date.now();
  let date: string | null;
  try {
    const r = await fetch(`${baseUrl}/exchange/status`, { signal: AbortSignal.timeout(Math.min(ex.request_timeout_ms, 15_000)) });
    await r.arrayBuffer();
    date = r.headers.get("date");
  } catch {
    return { name: "clock", ok: true, skipped: true, detail: "skipped: the exchange did not answer (see exchange authentication)" };
  }
  const t1 = Date.now();
  const server = date ? Date.parse(date) : Number.NaN;
  if (!Number.isFinite(server)) return { name: "clock", ok: true, skipped: true, detail: "skipped: the exchange sent no Date header" };
  // The header is truncated to the second: compare with the middle of the request, allow 1 s.
  const skew = server + 500 - (t0 + t1) / 2;
  const secs = Math.abs(Math.round(skew / 1000));
  if (Math.abs(skew) <= MAX_CLOCK_SKEW_MS) return { name: "clock", ok: true, detail: `within ${Math.max(1, secs)} s of the exchange's` };
  return {
    name: "clock",
    ok: false,
    detail: `this machine's clock is ${secs} s ${skew > 0 ? "behind" : "ahead of"} the exchange's; Kalshi refuses signed requests from a clock this far off: turn on time sync (timedatectl set-ntp true)`,
  };
}

export async function runChecks(args: VerifyArgs): Promise<{ results: CheckResult[]; loaded: LoadedConfig | null }> {
  const results: CheckResult[] = [];
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig({ configPath: args.config, lockFile: args["lock-file"] });
    results.push({ name: "config", ok: true, detail: loaded.file ? `${loaded.file} is valid` : "no config file: using defaults (sim, dry-run)" });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    results.push({ name: "config", ok: false, detail: e.message });
    for (const p of e.problems) results.push({ name: "config", ok: false, detail: p });
    return { results, loaded: null };
  }
  results.push(...pathChecks(loaded));
  results.push(...credentialPresence(loaded));
  if (loaded.privateKeyPath) {
    try {
      loadPrivateKey(loaded.privateKeyPath, { systemdCredential: loaded.keySource === "systemd-credential" });
      results.push({ name: "private key", ok: true, detail: `${loaded.privateKeyPath} (${loaded.keySource}) is a private RSA key with safe permissions` });
    } catch (e) {
      results.push({ name: "private key", ok: false, detail: e instanceof KeyFileError ? e.message : `private key ${loaded.privateKeyPath} is unusable` });
    }
  }
  if ((args.mode ?? "trade") === "trade") results.push(...liveChecklist(loaded));
  const clock = await clockCheck(loaded);
  if (clock) results.push(clock);
  results.push(await authenticatedRead(loaded));
  return { results, loaded };
}

export async function verifyMain(args: VerifyArgs): Promise<number> {
  const { results } = await runChecks(args);
  const failed = results.filter((r) => !r.ok && !r.skipped);
  if (args.json) {
    process.stdout.write(JSON.stringify({ ok: failed.length === 0, checks: results }, null, 2) + "\n");
  } else {
    for (const r of results) {
      const mark = r.skipped ? "-" : r.ok ? "ok" : "FAIL";
      process.stdout.write(`${mark.padEnd(4)} ${r.name}: ${r.detail}\n`);
    }
  }
  if (failed.length) {
    log.error(`verify: ${failed.length} problem${failed.length > 1 ? "s" : ""} found; fix the FAIL lines above and run again`);
    return EXIT.USAGE;
  }
  log.success?.("verify: all checks passed");
  return EXIT.OK;
}

export default defineCommand({
  meta: { name: "verify", description: "Check everything a live run needs (same as --verify-config); lists every problem at once" },
  args: {
    ...configArgs,
    ...lockArgs,
    mode: { type: "enum", options: ["trade", "scan"], description: "Check for this mode (default trade)" },
    json: { type: "boolean", description: "Print the checks as JSON" },
  },
  run: guarded(async ({ args }) => verifyMain(args)),
});
