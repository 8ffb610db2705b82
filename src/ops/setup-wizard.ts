// The first-run setup wizard (consola prompts): environment, API key id (a UUID), key file
// (permissions checked by the client's own key loader), dry-run, scope, and for a live config the
// risk limits, shown and changeable; writes advanced_config.json atomically.
//
// consola's prompt hangs forever when stdin is not a terminal (../shared/STYLE.md), so every entry
// point goes through shouldRunWizard() first, and runSetupWizard() re-checks the TTY itself.
import { existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { consola } from "consola";
import { writeFileAtomic } from "./atomic.ts";
import { configSchema } from "../config/schema.ts";
import { riskSchema, type RiskConfig } from "../config/risk-schema.ts";
import { formatIssues } from "../config/load.ts";
import { loadPrivateKey, KeyFileError } from "../kalshi/keys.ts";
import { EXIT, UserError } from "../errors.ts";

export interface WizardGate {
  /** --skip-setup-wizard */
  skipSetupWizard?: boolean;
  /** --non-interactive */
  nonInteractive?: boolean;
  /** trading.non_interactive from a config, when one was read */
  configNonInteractive?: boolean;
  /** Defaults to process.stdin.isTTY === true (isTTY is undefined, not false, on a pipe). */
  stdinIsTTY?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Whether the wizard may run at all: never with the opt-outs, in CI, or without a terminal. */
export function shouldRunWizard(g: WizardGate = {}): boolean {
  if (g.skipSetupWizard || g.nonInteractive || g.configNonInteractive) return false;
  const env = g.env ?? process.env;
  if (env.CI && env.CI !== "0" && env.CI !== "false") return false;
  if (env.JOURNAL_STREAM || env.INVOCATION_ID) return false; // under systemd: nobody to answer
  const tty = g.stdinIsTTY ?? process.stdin.isTTY === true;
  return tty && process.stdout.isTTY === true;
}

type PromptOpts =
  | { type: "text"; placeholder?: string; default?: string; initial?: string }
  | { type: "confirm"; initial?: boolean }
  | { type: "select"; options: { value: string; label: string; hint?: string }[]; initial?: string };

/** The prompt function (consola.prompt); injectable for tests. */
export type Prompter = (message: string, opts: PromptOpts) => Promise<unknown>;

/**
 * consola (clack) for choices; node:readline for free text. Under Bun 1.4.5 clack's text prompt
 * returns its default whatever is typed (readline clears the line before clack reads it; measured
 * through a pty in the compiled binary), so text answers are read line by line instead.
 */
const defaultPrompter: Prompter = async (message, opts) => {
  if (opts.type !== "text") return consola.prompt(message, { ...(opts as object), cancel: "reject" } as never);
  const def = opts.default ?? "";
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  try {
    const answer = await new Promise<string>((res, rej) => {
      rl.on("SIGINT", () => {
        const e = new Error("Cancelled");
        e.name = "ConsolaPromptCancelledError";
        rej(e);
      });
      rl.question(`? ${message}${def ? ` [${def}]` : opts.placeholder ? ` (e.g. ${opts.placeholder})` : ""}: `).then(res, rej);
    });
    return answer.trim() || def;
  } finally {
    rl.close();
  }
};

export interface WizardResult {
  path: string;
  config: Record<string, unknown>;
  mode: number;
}

const TICKER_RE = /^[A-Z0-9][A-Z0-9._-]{0,63}$/;

/** Kalshi's API key ids are UUIDs (8-4-4-4-12 hex digits). */
const KEY_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why a typed key id cannot be Kalshi's (a pasted key file, a truncated copy), or null. */
export function keyIdProblem(keyId: string): string | null {
  if (KEY_ID_RE.test(keyId)) return null;
  if (keyId.includes("BEGIN") || keyId.length > 64)
    return "That looks like the private key itself, not its id: the key id is a UUID shown beside the key on kalshi.com → Account → API keys.";
  return `"${keyId}" is not a Kalshi key id: those are UUIDs such as 1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d (8-4-4-4-12 hex digits), shown beside the key on kalshi.com → Account → API keys.`;
}

/** The risk limits the wizard shows before a live config, with what each one does. */
const RISK_FIELDS: ReadonlyArray<{ key: keyof RiskConfig; what: string; dollars?: boolean }> = [
  { key: "max_order_dollars", what: "largest single order", dollars: true },
  { key: "max_contracts_per_order", what: "contracts per order" },
  { key: "max_position_per_market", what: "contracts held in one market" },
  { key: "max_event_exposure_dollars", what: "cost held in one event", dollars: true },
  { key: "max_total_exposure_dollars", what: "cost held in all markets", dollars: true },
  { key: "max_daily_loss_dollars", what: "loss in a trading day before the bot halts", dollars: true },
  { key: "max_drawdown_pct", what: "drop from the bankroll's high before the bot halts (%)" },
  { key: "max_orders_per_minute", what: "orders sent per minute" },
];

function riskLines(r: RiskConfig): string[] {
  const w = Math.max(...RISK_FIELDS.map((f) => f.key.length));
  return RISK_FIELDS.map((f) => `  risk.${f.key.padEnd(w)}  ${f.dollars ? `$${r[f.key]}` : String(r[f.key])}  (${f.what})`);
}

/**
 * Show the risk limits a live config will trade under and let the operator change them, each
 * answer checked by the config's own schema. Returns the `risk` section to write.
 */
async function reviewRiskLimits(
  current: Record<string, unknown>,
  prompt: Prompter,
  say: (line: string) => void,
): Promise<Record<string, unknown>> {
  const risk: Record<string, unknown> = { ...current };
  let effective = riskSchema.safeParse(risk);
  if (!effective.success) return risk; // the final check reports the file's own mistake
  say("Risk limits for live trading (the risk gate refuses any order beyond them):");
  for (const l of riskLines(effective.data)) say(l);
  if (await prompt("Keep these risk limits?", { type: "confirm", initial: true })) return risk;
  for (const f of RISK_FIELDS) {
    for (;;) {
      const shown = String(effective.data[f.key]);
      const typed = String(
        (await prompt(`risk.${f.key}: ${f.what}${f.dollars ? " in dollars" : ""}`, { type: "text", default: shown })) ?? "",
      )
        .trim()
        .replace(/^\$/, "");
      const value = f.dollars ? typed : Number(typed);
      const trial = riskSchema.safeParse({ ...risk, [f.key]: value });
      if (typed !== "" && trial.success) {
        if (typed !== shown) risk[f.key] = value;
        effective = trial;
        break;
      }
      say(`Not a valid risk.${f.key}: ${typed === "" ? "empty" : trial.success ? "" : formatIssues(trial.error).join("; ")}`);
    }
  }
  say("Risk limits to be written:");
  for (const l of riskLines(effective.data)) say(l);
  return risk;
}

export function parseTickers(text: string): { tickers: string[]; bad: string[] } {
  const parts = text
    .split(/[\s,]+/)
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  return { tickers: [...new Set(parts.filter((p) => TICKER_RE.test(p)))], bad: parts.filter((p) => !TICKER_RE.test(p)) };
}

/** Check a key file the way the bot will (regular file, owned by us, mode 0600/0400, an RSA PEM). */
export function checkKeyFile(path: string): string | null {
  try {
    loadPrivateKey(path);
    return null;
  } catch (e) {
    if (e instanceof KeyFileError) return e.message;
    return `cannot use ${path}: ${(e as Error).message}`;
  }
}

/** The parts of an existing config the wizard reads (as found in the file: checked later by the schema). */
interface ExistingConfig {
  exchange?: { environment?: string; api_key_id?: string; private_key_path?: string; [k: string]: unknown };
  trading?: { dry_run?: boolean; autonomous_mode?: boolean; non_interactive?: boolean; series_tickers?: unknown; [k: string]: unknown };
  risk?: Record<string, unknown>;
  [k: string]: unknown;
}

function readExisting(path: string): ExistingConfig {
  if (!existsSync(path)) return {};
  try {
    const raw = JSON.parse(readFileSync(path, "utf8"));
    return raw && typeof raw === "object" && !Array.isArray(raw) ? raw : {};
  } catch {
    throw new UserError(`${path} exists but is not valid JSON; fix or move it away before running the setup wizard`, EXIT.USAGE);
  }
}

/**
 * Ask the questions and write `configPath` (existing settings not asked about are kept).
 * Throws UserError when there is no terminal; Ctrl+C rejects with consola's
 * ConsolaPromptCancelledError (guarded() maps it to exit 130).
 */
export async function runSetupWizard(
  configPath: string,
  opts: { prompt?: Prompter; say?: (line: string) => void } = {},
): Promise<WizardResult> {
  const prompt = opts.prompt ?? defaultPrompter;
  const say = opts.say ?? ((l: string) => consola.info(l));
  if (!opts.prompt && process.stdin.isTTY !== true) {
    throw new UserError(
      "the setup wizard needs an interactive terminal (stdin is not a TTY); write advanced_config.json by hand (see `kalshi-bot config schema`) or run `kalshi-bot setup` in a terminal",
      EXIT.USAGE,
    );
  }
  const cfg = readExisting(configPath);
  const exchange: NonNullable<ExistingConfig["exchange"]> = { ...(cfg.exchange ?? {}) };
  const trading: NonNullable<ExistingConfig["trading"]> = { ...(cfg.trading ?? {}) };
  if (existsSync(configPath)) say(`Updating ${configPath}; settings not asked about are kept.`);

  const environment = (await prompt("Which Kalshi environment?", {
    type: "select",
    options: [
      { value: "sim", label: "sim", hint: "embedded exchange, offline, no key needed" },
      { value: "demo", label: "demo", hint: "demo.kalshi.co, play money" },
      { value: "production", label: "production", hint: "real money" },
    ],
    initial: exchange.environment ?? "sim",
  })) as string;
  exchange.environment = environment;

  if (environment !== "sim") {
    let keyId = "";
    for (;;) {
      const typed = String(
        (await prompt("API key id (from kalshi.com → Account → API keys)", {
          type: "text",
          placeholder: "xxxxxxxx-xxxx-…",
          default: exchange.api_key_id ?? "",
        })) ?? "",
      ).trim();
      if (!typed) {
        say("The key id is required for demo and production (or set KALSHI_API_KEY_ID later).");
        if (!(await prompt("Enter it now?", { type: "confirm", initial: true }))) break;
        continue;
      }
      const problem = keyIdProblem(typed);
      if (problem) {
        say(problem);
        continue;
      }
      keyId = typed;
      break;
    }
    if (keyId) exchange.api_key_id = keyId;
    for (;;) {
      const keyPath = String(
        (await prompt("Path to the private key file (.pem, mode 0600)", {
          type: "text",
          placeholder: "/etc/kalshi-bot/kalshi.pem",
          default: exchange.private_key_path ?? "",
        })) ?? "",
      ).trim();
      if (!keyPath) {
        say("No key path set; set exchange.private_key_path or KALSHI_PRIVATE_KEY_PATH before trading.");
        break;
      }
      const problem = checkKeyFile(keyPath);
      if (!problem) {
        exchange.private_key_path = keyPath;
        say("Key file OK (permissions and format checked).");
        break;
      }
      say(`Key file problem: ${problem}`);
      if (!(await prompt("Try another path?", { type: "confirm", initial: true }))) {
        exchange.private_key_path = keyPath;
        say("Kept the path; `kalshi-bot --verify-config --mode trade` will report it until it is fixed.");
        break;
      }
    }
  }

  const dryRun = (await prompt("Dry-run (simulate orders, place nothing real)?", {
    type: "confirm",
    initial: trading.dry_run ?? true,
  })) as boolean;
  trading.dry_run = dryRun;
  if (!dryRun) {
    say(
      "Live trading: the bot also needs trading.autonomous_mode=true, trading.non_interactive=true and an explicit scope (the guide's checklist).",
    );
    const unattended = (await prompt("Enable unattended live trading now (autonomous_mode + non_interactive)?", {
      type: "confirm",
      initial: false,
    })) as boolean;
    trading.autonomous_mode = unattended;
    trading.non_interactive = unattended;
  }

  for (;;) {
    const current = Array.isArray(trading.series_tickers) ? trading.series_tickers.join(", ") : "";
    const text = String(
      (await prompt("Scope: series tickers to trade, comma-separated (empty for none)", {
        type: "text",
        placeholder: "KXHIGHNY, KXINX",
        default: current,
      })) ?? "",
    );
    const { tickers, bad } = parseTickers(text);
    if (bad.length) {
      say(`Not a ticker: ${bad.join(", ")} (letters, digits, '.', '_', '-')`);
      continue;
    }
    trading.series_tickers = tickers;
    break;
  }

  // Before a live config is written: the limits that bound its losses, shown and changeable.
  let risk: Record<string, unknown> | undefined = cfg.risk;
  if (!dryRun) risk = await reviewRiskLimits(cfg.risk ?? {}, prompt, say);

  const next: Record<string, unknown> = { ...cfg, exchange, trading, ...(risk !== undefined ? { risk } : {}) };
  const parsed = configSchema.safeParse(next);
  if (!parsed.success) {
    throw new UserError(`the answers do not make a valid configuration; nothing was written`, EXIT.USAGE, formatIssues(parsed.error));
  }
  const mode = exchange.api_key_id ? 0o600 : 0o644;
  writeFileAtomic(configPath, JSON.stringify(next, null, 2) + "\n", mode);
  say(`Wrote ${configPath} (mode ${mode.toString(8)}). Check it with: kalshi-bot --verify-config --mode trade`);
  return { path: configPath, config: next, mode };
}
