// The first-run setup wizard (consola prompts): environment, API key id, key file (permissions
// checked by the client's own key loader), dry-run, scope; writes advanced_config.json atomically.
//
// consola's prompt hangs forever when stdin is not a terminal (../shared/STYLE.md), so every entry
// point goes through shouldRunWizard() first, and runSetupWizard() re-checks the TTY itself.
import { existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { consola } from "consola";
import { writeFileAtomic } from "./atomic.ts";
import { configSchema } from "../config/schema.ts";
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

function readExisting(path: string): Record<string, any> {
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
export async function runSetupWizard(configPath: string, opts: { prompt?: Prompter; say?: (line: string) => void } = {}): Promise<WizardResult> {
  const prompt = opts.prompt ?? defaultPrompter;
  const say = opts.say ?? ((l: string) => consola.info(l));
  if (!opts.prompt && process.stdin.isTTY !== true) {
    throw new UserError("the setup wizard needs an interactive terminal (stdin is not a TTY); write advanced_config.json by hand (see `kalshi-bot config schema`) or run `kalshi-bot setup` in a terminal", EXIT.USAGE);
  }
  const cfg = readExisting(configPath);
  const exchange: Record<string, any> = { ...(cfg.exchange ?? {}) };
  const trading: Record<string, any> = { ...(cfg.trading ?? {}) };
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
    while (!keyId) {
      keyId = String((await prompt("API key id (from kalshi.com → Account → API keys)", { type: "text", placeholder: "xxxxxxxx-xxxx-…", default: exchange.api_key_id ?? "" })) ?? "").trim();
      if (!keyId) say("The key id is required for demo and production (or set KALSHI_API_KEY_ID later).");
      if (!keyId && !(await prompt("Enter it now?", { type: "confirm", initial: true }))) break;
    }
    if (keyId) exchange.api_key_id = keyId;
    for (;;) {
      const keyPath = String((await prompt("Path to the private key file (.pem, mode 0600)", { type: "text", placeholder: "/etc/kalshi-bot/kalshi.pem", default: exchange.private_key_path ?? "" })) ?? "").trim();
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

  const dryRun = (await prompt("Dry-run (simulate orders, place nothing real)?", { type: "confirm", initial: trading.dry_run ?? true })) as boolean;
  trading.dry_run = dryRun;
  if (!dryRun) {
    say("Live trading: the bot also needs trading.autonomous_mode=true, trading.non_interactive=true and an explicit scope (the guide's checklist).");
    const unattended = (await prompt("Enable unattended live trading now (autonomous_mode + non_interactive)?", { type: "confirm", initial: false })) as boolean;
    trading.autonomous_mode = unattended;
    trading.non_interactive = unattended;
  }

  for (;;) {
    const current = Array.isArray(trading.series_tickers) ? trading.series_tickers.join(", ") : "";
    const text = String((await prompt("Scope: series tickers to trade, comma-separated (empty for none)", { type: "text", placeholder: "KXHIGHNY, KXINX", default: current })) ?? "");
    const { tickers, bad } = parseTickers(text);
    if (bad.length) {
      say(`Not a ticker: ${bad.join(", ")} (letters, digits, '.', '_', '-')`);
      continue;
    }
    trading.series_tickers = tickers;
    break;
  }

  const next: Record<string, unknown> = { ...cfg, exchange, trading };
  const parsed = configSchema.safeParse(next);
  if (!parsed.success) {
    throw new UserError(`the answers do not make a valid configuration; nothing was written`, EXIT.USAGE, formatIssues(parsed.error));
  }
  const mode = exchange.api_key_id ? 0o600 : 0o644;
  writeFileAtomic(configPath, JSON.stringify(next, null, 2) + "\n", mode);
  say(`Wrote ${configPath} (mode ${mode.toString(8)}). Check it with: kalshi-bot --verify-config --mode trade`);
  return { path: configPath, config: next, mode };
}
