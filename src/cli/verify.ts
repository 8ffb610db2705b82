// `kalshi-bot --verify-config --mode trade` / `kalshi-bot verify`: every check a live run needs,
// all problems listed at once, exit 0 only when all pass.
import { defineCommand } from "citty";
import { ConfigError, loadConfig, type LoadedConfig } from "../config/load.ts";
import { KalshiClient, KeyFileError, authFix, loadPrivateKey, redactKeyId, isKalshiApiError } from "../kalshi/index.ts";
import { configuredBaseUrl, startEmbeddedExchange } from "../engine/exchange-session.ts";
import { resolveScope } from "../engine/live-guard.ts";
import { MarketDataSource, type Scope } from "../engine/market-data.ts";
import { formatDollars2, centsToMicros } from "../kalshi/money.ts";
import { credentialPresence, hostPort, liveChecklist, networkProblem, pathChecks, type CheckResult } from "../ops/verify.ts";
import { log } from "../ops/log.ts";
import { configArgs, EXIT, guarded, lockArgs, UserError } from "./shared.ts";
import { COMMAND_META } from "./command-meta.ts";

interface VerifyArgs {
  config?: string;
  "lock-file"?: string;
  mode?: string;
  json?: boolean;
}

/** The config file's name for a problem line (the problems are "key: what is wrong"). */
function loadedName(args: VerifyArgs): string {
  return args.config ?? process.env.KALSHI_BOT_CONFIG ?? "advanced_config.json";
}

async function authenticatedRead(loaded: LoadedConfig): Promise<CheckResult> {
  const ex = loaded.config.exchange;
  const baseUrl = configuredBaseUrl(ex);
  if (baseUrl === null) {
    return {
      name: "exchange authentication",
      ok: true,
      skipped: true,
      detail: "sim: the embedded exchange starts with the bot (nothing remote to authenticate against)",
    };
  }
  if (!loaded.apiKeyId || !loaded.privateKeyPath) {
    return { name: "exchange authentication", ok: false, skipped: true, detail: "skipped: no credentials configured" };
  }
  let key;
  try {
    key = loadPrivateKey(loaded.privateKeyPath, { systemdCredential: loaded.keySource === "systemd-credential" });
  } catch {
    return {
      name: "exchange authentication",
      ok: false,
      skipped: true,
      detail: "skipped: the private key could not be loaded (see above)",
    };
  }
  const client = new KalshiClient({
    baseUrl,
    apiKeyId: loaded.apiKeyId,
    privateKey: key,
    tier: ex.rate_tier,
    timeoutMs: Math.min(ex.request_timeout_ms, 15_000),
    maxAttempts: 2,
    retryBudgetMs: 20_000,
  });
  try {
    const bal = await client.getBalance();
    return {
      name: "exchange authentication",
      ok: true,
      detail: `GET /portfolio/balance at ${new URL(baseUrl).host} as key ${redactKeyId(loaded.apiKeyId)}: balance $${formatDollars2(centsToMicros(bal.balance))}`,
    };
  } catch (e) {
    const net = networkProblem(e);
    if (net)
      return {
        name: "exchange authentication",
        ok: false,
        detail: `cannot reach ${hostPort(baseUrl)}: ${net}; a network problem, not the key: check exchange.base_url, this machine's network and firewall`,
      };
    const why = isKalshiApiError(e) ? `${e.status} ${e.code ?? ""} ${e.message}`.trim() : (e as Error).message;
    return {
      name: "exchange authentication",
      ok: false,
      detail: `authenticated read at ${new URL(baseUrl).host} failed (${why}); ${authFix(e) ?? "check the key id, key file, environment (demo keys only work on demo) and the clock"}`,
    };
  }
}

/** Beyond this, Kalshi refuses signed requests as stale or early (its window is asymmetric and undocumented: API.md §2). */
const MAX_CLOCK_SKEW_MS = 10_000;

interface Reach {
  /** False only when a remote exchange did not answer (the embedded one always can). */
  reached: boolean;
  /** The network problem when it did not answer; null otherwise. */
  result: CheckResult | null;
  clock: CheckResult | null;
}

/**
 * Can the exchange be reached, and is this machine's clock near its own (the HTTP Date header of a
 * public read, 1 s resolution)? A VPS without time sync drifts until every signed request is a 401.
 */
async function reach(loaded: LoadedConfig): Promise<Reach> {
  const ex = loaded.config.exchange;
  const baseUrl = configuredBaseUrl(ex);
  if (baseUrl === null) return { reached: true, result: null, clock: null };
  const timeoutMs = Math.min(ex.request_timeout_ms, 15_000);
  const t0 = Date.now();
  let date: string | null;
  try {
    const r = await fetch(`${baseUrl}/exchange/status`, { signal: AbortSignal.timeout(timeoutMs) });
    await r.arrayBuffer();
    date = r.headers.get("date");
  } catch (e) {
    const why = networkProblem(e) ?? (e as Error).message;
    const where = ex.base_url ? "exchange.base_url" : `exchange.environment (${ex.environment})`;
    return {
      reached: false,
      clock: null,
      result: {
        name: "exchange",
        ok: false,
        detail: `cannot reach ${hostPort(baseUrl)}: ${why}${why === "no answer in time" ? ` (${timeoutMs} ms)` : ""}; a network problem, not the key: check ${where}, this machine's network and firewall`,
      },
    };
  }
  const t1 = Date.now();
  const server = date ? Date.parse(date) : Number.NaN;
  if (!Number.isFinite(server))
    return {
      reached: true,
      result: null,
      clock: { name: "clock", ok: true, skipped: true, detail: "skipped: the exchange sent no Date header" },
    };
  // The header is truncated to the second: compare with the middle of the request, allow 1 s.
  const skew = server + 500 - (t0 + t1) / 2;
  const secs = Math.abs(Math.round(skew / 1000));
  if (Math.abs(skew) <= MAX_CLOCK_SKEW_MS)
    return { reached: true, result: null, clock: { name: "clock", ok: true, detail: `within ${Math.max(1, secs)} s of the exchange's` } };
  return {
    reached: true,
    result: null,
    clock: {
      name: "clock",
      ok: false,
      detail: `this machine's clock is ${secs} s ${skew > 0 ? "behind" : "ahead of"} the exchange's; Kalshi refuses signed requests from a clock this far off: turn on time sync (timedatectl set-ntp true)`,
    },
  };
}

/**
 * How many open markets the scope matches, counted as the bot's cycle loads them: a typo'd series
 * (KXHIGHYN) matches none, and the bot would then scan nothing forever.
 */
async function scopeCheck(loaded: LoadedConfig, reached: boolean, mode: string): Promise<CheckResult> {
  const name = "trading scope";
  let scope: Scope;
  try {
    scope = resolveScope(loaded);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    // Live trading without a scope is already a FAIL of the live checklist: not a second problem.
    const listed = mode === "trade" && !loaded.config.trading.dry_run;
    return { name, ok: false, ...(listed ? { skipped: true, detail: "skipped: no scope set (see above)" } : { detail: e.message }) };
  }
  if (!reached) return { name, ok: false, skipped: true, detail: "skipped: the exchange cannot be reached (see exchange)" };
  const ex = loaded.config.exchange;
  const baseUrl = configuredBaseUrl(ex);
  const embedded = baseUrl === null ? await startEmbeddedExchange(loaded, []) : null;
  const where = embedded ? "the embedded exchange (sim section)" : new URL(baseUrl!).host;
  try {
    // Public reads only: the count needs no key, so a bad key is not reported here a second time.
    const client = new KalshiClient({
      baseUrl: embedded ? embedded.baseUrl : baseUrl!,
      tier: ex.rate_tier,
      timeoutMs: Math.min(ex.request_timeout_ms, 15_000),
      maxAttempts: 2,
      retryBudgetMs: 20_000,
    });
    const data = await new MarketDataSource(client).load(scope);
    const open = [...data.markets.values()];
    const inactive = [...data.inactive.values()];
    const all = [...open, ...inactive];
    const empty = [
      ...scope.seriesTickers.filter((s) => !all.some((m) => m.seriesTicker === s)).map((s) => `series ${s}`),
      ...scope.eventTickers.filter((e) => !all.some((m) => m.eventTicker === e)).map((e) => `event ${e}`),
      ...scope.marketTickers.filter((t) => !all.some((m) => m.ticker === t)).map((t) => `market ${t}`),
    ];
    const what = scope.whole
      ? "the whole exchange (no scope set)"
      : [...scope.seriesTickers.map((s) => `series ${s}`), ...scope.eventTickers.map((e) => `event ${e}`), ...scope.marketTickers].join(
          ", ",
        );
    if (open.length === 0) {
      return {
        name,
        ok: false,
        detail: `${what} matches no open market on ${where}: the bot would scan nothing; check the tickers' spelling in trading.series_tickers / allowed_event_tickers / allowed_market_tickers`,
      };
    }
    const events = new Set(open.map((m) => m.eventTicker)).size;
    return {
      name,
      ok: true,
      detail: `${open.length} open market(s) in ${events} event(s) on ${where}${empty.length ? `; ${empty.join(", ")} matched none (a typo, or nothing open there now)` : ""}`,
    };
  } catch (e) {
    const why = networkProblem(e);
    return { name, ok: false, detail: `could not list the markets of the scope on ${where} (${why ?? (e as Error).message})` };
  } finally {
    await embedded?.stop();
  }
}

export async function runChecks(args: VerifyArgs): Promise<{ results: CheckResult[]; loaded: LoadedConfig | null }> {
  const results: CheckResult[] = [];
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig({ configPath: args.config, lockFile: args["lock-file"] });
    results.push({
      name: "config",
      ok: true,
      detail: loaded.file ? `${loaded.file} is valid` : "no config file: using defaults (sim, dry-run)",
    });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // One FAIL line per problem: the summary line above them is not a problem of its own.
    if (e.problems.length === 0) results.push({ name: "config", ok: false, detail: e.message });
    for (const p of e.problems) results.push({ name: "config", ok: false, detail: `${loadedName(args)}: ${p}` });
    return { results, loaded: null };
  }
  results.push(...pathChecks(loaded));
  results.push(...credentialPresence(loaded));
  if (loaded.privateKeyPath) {
    try {
      loadPrivateKey(loaded.privateKeyPath, { systemdCredential: loaded.keySource === "systemd-credential" });
      results.push({
        name: "private key",
        ok: true,
        detail: `${loaded.privateKeyPath} (${loaded.keySource}) is a private RSA key with safe permissions`,
      });
    } catch (e) {
      results.push({
        name: "private key",
        ok: false,
        detail: e instanceof KeyFileError ? e.message : `private key ${loaded.privateKeyPath} is unusable`,
      });
    }
  }
  if ((args.mode ?? "trade") === "trade") results.push(...liveChecklist(loaded));
  // One probe first: an exchange that cannot be reached is one problem (the address or the
  // network), not a clock, a key and a scope problem as well.
  const probe = await reach(loaded);
  if (probe.result) results.push(probe.result);
  if (probe.reached) {
    if (probe.clock) results.push(probe.clock);
    results.push(await authenticatedRead(loaded));
  } else {
    results.push({
      name: "exchange authentication",
      ok: false,
      skipped: true,
      detail: "skipped: the exchange cannot be reached (see exchange)",
    });
  }
  results.push(await scopeCheck(loaded, probe.reached, args.mode ?? "trade"));
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
  meta: COMMAND_META.verify,
  args: {
    ...configArgs,
    ...lockArgs,
    mode: { type: "enum", options: ["trade", "scan"], description: "Check for this mode (default trade)" },
    json: { type: "boolean", description: "Print the checks as JSON" },
  },
  run: guarded(async ({ args }) => verifyMain(args)),
});
