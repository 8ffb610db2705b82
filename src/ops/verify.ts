// `--verify-config --mode trade`: check everything a live run needs and list every problem at
// once. Each check is independent, so one bad key does not hide a bad folder.
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { LoadedConfig } from "../config/load.ts";
import { ledgerFileProblem } from "../db/open.ts";

export interface CheckResult {
  name: string;
  ok: boolean;
  /** For a failure: the problem and the fix, one line. For a pass: what was checked. */
  detail: string;
  /** A skipped check neither passes nor fails (e.g. no credentials configured in dry-run). */
  skipped?: boolean;
}

/** The nearest existing folder on the way to `path` must be writable (we create the rest). */
export function checkWritableDir(name: string, dir: string): CheckResult {
  let d = dir;
  while (!existsSync(d)) {
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  try {
    if (!statSync(d).isDirectory()) return { name, ok: false, detail: `${d} is not a folder; point ${name} elsewhere` };
    accessSync(d, constants.W_OK);
    return { name, ok: true, detail: d === dir ? `${dir} is writable` : `${dir} can be created in ${d}` };
  } catch {
    return { name, ok: false, detail: `${d} is not writable by this user; fix its permissions or change ${name}` };
  }
}

export function checkWritableFile(name: string, file: string): CheckResult {
  if (existsSync(file)) {
    let st;
    try {
      st = statSync(file);
    } catch {
      return { name, ok: false, detail: `${file} cannot be inspected by this user; fix the permissions of its folder or change ${name}` };
    }
    if (st.isDirectory())
      return { name, ok: false, detail: `${file} is a folder, not a file; point ${name} at a file (e.g. inside that folder)` };
    try {
      accessSync(file, constants.W_OK);
      return { name, ok: true, detail: `${file} is writable` };
    } catch {
      return { name, ok: false, detail: `${file} is not writable by this user; fix its permissions or change ${name}` };
    }
  }
  return checkWritableDir(name, dirname(file));
}

export function hasExplicitScope(loaded: LoadedConfig): boolean {
  const t = loaded.config.trading;
  return t.series_tickers.length + t.allowed_market_tickers.length + t.allowed_event_tickers.length > 0;
}

/** The operations guide's autonomous live checklist (only meaningful when dry_run is false). */
export function liveChecklist(loaded: LoadedConfig): CheckResult[] {
  const t = loaded.config.trading;
  if (t.dry_run) {
    return [
      {
        name: "trading.dry_run",
        ok: true,
        detail: "dry_run=true: paper trading, no real orders (the live checklist applies when you set it to false)",
      },
    ];
  }
  return [
    {
      name: "trading.autonomous_mode",
      ok: t.autonomous_mode,
      detail: t.autonomous_mode ? "true" : "must be true for unattended live trading (set trading.autonomous_mode=true)",
    },
    {
      name: "trading.non_interactive",
      ok: t.non_interactive,
      detail: t.non_interactive ? "true" : "must be true for unattended live trading (set trading.non_interactive=true)",
    },
    {
      name: "trading scope",
      ok: hasExplicitScope(loaded),
      detail: hasExplicitScope(loaded)
        ? "explicit scope set"
        : "live trading needs an explicit scope: set trading.series_tickers or trading.allowed_market_tickers / allowed_event_tickers",
    },
  ];
}

/** An existing database must be a kalshi-bot ledger (never another program's SQLite file). */
export function checkLedger(name: string, file: string): CheckResult {
  const writable = checkWritableFile(name, file);
  if (!writable.ok || !existsSync(file)) return writable;
  const problem = ledgerFileProblem(file);
  return problem ? { name, ok: false, detail: problem } : { name, ok: true, detail: `${file} is a kalshi-bot ledger and writable` };
}

export function pathChecks(loaded: LoadedConfig): CheckResult[] {
  const p = loaded.paths;
  return [
    checkLedger("paths.database", p.database),
    checkWritableDir("paths.backups_dir", p.backupsDir),
    checkWritableDir("paths.reports_dir", p.reportsDir),
    checkWritableFile("paths.lock_file", p.lockFile),
  ];
}

export function credentialPresence(loaded: LoadedConfig): CheckResult[] {
  const env = loaded.config.exchange.environment;
  const needs = env !== "sim" || Boolean(loaded.config.exchange.base_url);
  if (!needs) return [{ name: "credentials", ok: true, detail: "sim: the embedded exchange uses a throwaway key pair" }];
  const out: CheckResult[] = [];
  out.push(
    loaded.apiKeyId
      ? { name: "exchange.api_key_id", ok: true, detail: "set" }
      : { name: "exchange.api_key_id", ok: false, detail: `needed for ${env}: set exchange.api_key_id or KALSHI_API_KEY_ID` },
  );
  if (!loaded.privateKeyPath) {
    out.push({
      name: "exchange.private_key_path",
      ok: false,
      detail: `needed for ${env}: set exchange.private_key_path, KALSHI_PRIVATE_KEY_PATH or a systemd credential`,
    });
  }
  return out;
}

/**
 * Why a request got no answer, in the operator's words, or null when it did get one (an HTTP
 * status is the exchange answering). A refused connection or an unknown host is a network or
 * address problem: no key, clock or environment setting fixes it.
 */
export function networkProblem(e: unknown): string | null {
  const chain: unknown[] = [];
  for (let x: unknown = e; x && chain.length < 4; x = (x as { cause?: unknown }).cause) chain.push(x);
  for (const x of chain) {
    const code = String((x as { code?: unknown }).code ?? "");
    const name = String((x as { name?: unknown }).name ?? "");
    const msg = x instanceof Error ? x.message : String(x);
    if (code === "ECONNREFUSED" || code === "ConnectionRefused" || code === "connection_refused")
      return "connection refused (nothing listens there)";
    if (code === "ENOTFOUND" || code === "EAI_AGAIN" || /getaddrinfo|ENOTFOUND|DNS/i.test(msg))
      return "the host name does not resolve (DNS)";
    if (code === "timeout" || name === "TimeoutError" || name === "AbortError") return "no answer in time";
    if (code === "ECONNRESET" || code === "ConnectionClosed") return "the connection was dropped";
    if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return "the host is unreachable from this machine";
    if (code === "network_error" || (x instanceof TypeError && /fetch|connect|socket|network/i.test(msg))) return `network error (${msg})`;
  }
  return null;
}

/** host:port of a URL, the port written out even when it is the scheme's default. */
export function hostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === "https:" || u.protocol === "wss:" ? "443" : "80")}`;
}
