// `kalshi-bot sim`: the local Kalshi-compatible exchange as a server. Thin: flags → options →
// startSimServer(); prints the base URL once it listens and stops cleanly on SIGTERM/SIGINT.
import { defineCommand } from "citty";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { MICROS_PER_DOLLAR, MoneyFormatError, parseDollars } from "../kalshi/money.ts";
import { FaultSpecError, parseFaults } from "../sim/faults.ts";
import { isTier } from "../sim/rate-limit.ts";
import { parseScenario, ScenarioError } from "../sim/scenario-schema.ts";
import { startSimServer, type SimAccountOptions } from "../sim/server.ts";
import { configArgs, guarded, UserError } from "./shared.ts";
import { log } from "../ops/log.ts";
import { LOCAL_KEY_ID, localConfig, localKey } from "./sim-config.ts";
import { COMMAND_META } from "./command-meta.ts";

const args = {
  ...configArgs,
  host: { type: "string", description: "Address to listen on (default 127.0.0.1)", valueHint: "ADDR" },
  port: { type: "string", description: "Port (default 0: any free port)", valueHint: "N" },
  seed: { type: "string", description: "Seed of the scenario, participants and faults (default 1)", valueHint: "N" },
  scenario: { type: "string", description: "Scenario JSON file (default: the built-in scenario)", valueHint: "FILE" },
  markets: { type: "string", description: "Markets in the built-in scenario, 1 to 10000 (default 39)", valueHint: "N" },
  tier: {
    type: "string",
    description: "Rate-limit tier: basic, advanced, premier, paragon, prime, unlimited (default basic)",
    valueHint: "TIER",
  },
  faults: {
    type: "string",
    description: 'Fault rates, e.g. "429=0.1,500=0.05,slow=0.05,timeout=0.02,drop_after_accept=0.05,ws_disconnect=0.01,ws_skip_seq=0.01"',
    valueHint: "SPEC",
  },
  speed: { type: "string", description: "Sim seconds per wall second (default 1)", valueHint: "X" },
  start: {
    type: "string",
    description: "Sim start time, e.g. 2026-11-20T14:00:00Z (default: now); the same --seed and --start replay the same market",
    valueHint: "ISO_TIME",
  },
  "history-after": {
    type: "string",
    description: "Move settled markets and trades to /historical/* this many sim seconds later (default: never)",
    valueHint: "SECONDS",
  },
  "api-key-id": {
    type: "string",
    description: "Account key id (repeatable; pairs with --public-key and --balance in order)",
    valueHint: "ID",
  },
  "public-key": { type: "string", description: "PEM file of the account's public key (repeatable)", valueHint: "PEM_FILE" },
  balance: { type: "string", description: "Starting balance in dollars (repeatable; default 1000)", valueHint: "DOLLARS" },
  "print-config": {
    type: "boolean",
    description:
      "Add an account sim-local (key in --key-file) and print a ready advanced_config.json for it on stdout (instead of the URL)",
  },
  "key-file": {
    type: "string",
    description: "Private key of sim-local for --print-config (default sim-key.pem; created 0600 when missing)",
    valueHint: "PEM_FILE",
  },
} as const;

/**
 * Every value of a repeatable flag. citty may give an array, a string, or only the last value, so
 * the raw argv is the source of truth when it has the flag.
 */
function many(v: unknown, rawArgs: string[], name: string): string[] {
  const fromRaw: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const tok = rawArgs[i]!;
    if (tok === "--") break;
    if (tok === `--${name}`) {
      const next = rawArgs[i + 1];
      if (next !== undefined) fromRaw.push(next);
      i++;
    } else if (tok.startsWith(`--${name}=`)) fromRaw.push(tok.slice(name.length + 3));
  }
  if (fromRaw.length > 0) return fromRaw;
  if (v === undefined || v === null || v === "") return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function num(name: string, v: unknown, check: (n: number) => boolean, what: string): number | undefined {
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n)) throw new UserError(`--${name} ${String(v)}: expected ${what}.`);
  return n;
}

export default defineCommand({
  meta: COMMAND_META.sim,
  args,
  run: guarded(
    async ({ args: a, rawArgs }) => {
      const port = num("port", a.port, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, "a port number 0-65535");
      const markets = num("markets", a.markets, (n) => Number.isInteger(n) && n >= 1 && n <= 10_000, "a whole number from 1 to 10000");
      const speed = num("speed", a.speed, (n) => n > 0 && n <= 10_000, "a positive factor such as 1 or 60");
      const historyAfterS = num("history-after", a["history-after"], (n) => n >= 0, "a number of sim seconds such as 600");
      const startMs = a.start ? Date.parse(String(a.start)) : undefined;
      if (
        startMs !== undefined &&
        (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(String(a.start)) || !Number.isFinite(startMs))
      )
        throw new UserError(`--start ${String(a.start)}: expected an ISO time with its zone, such as 2026-11-20T14:00:00Z.`);
      const seed = a.seed === undefined || a.seed === "" ? 1 : /^\d+$/.test(String(a.seed)) ? Number(a.seed) : String(a.seed);
      const host = a.host ? String(a.host) : undefined;
      if (host !== undefined && host !== "localhost" && isIP(host) === 0)
        throw new UserError(`--host ${host}: not an IP address; give an address of this machine such as 127.0.0.1 (the default) or ::1.`);
      const tier = a.tier ? String(a.tier) : "basic";
      if (!isTier(tier)) throw new UserError(`--tier ${tier}: expected basic, advanced, premier, paragon, prime or unlimited.`);
      try {
        parseFaults(a.faults ? String(a.faults) : undefined);
      } catch (e) {
        if (e instanceof FaultSpecError) throw new UserError(`--faults: ${e.message}.`);
        throw e;
      }

      let scenario;
      if (a.scenario) {
        let text: string;
        try {
          text = readFileSync(String(a.scenario), "utf8");
        } catch (e) {
          throw new UserError(`--scenario ${a.scenario}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
        }
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (e) {
          throw new UserError(`--scenario ${a.scenario}: not valid JSON (${(e as Error).message}).`);
        }
        try {
          scenario = parseScenario(json, String(a.scenario));
        } catch (e) {
          if (e instanceof ScenarioError) throw new UserError(`${e.source} is not a valid scenario:`, undefined, e.problems);
          throw e;
        }
      }

      const ids = many(a["api-key-id"], rawArgs, "api-key-id");
      const pems = many(a["public-key"], rawArgs, "public-key");
      const balances = many(a.balance, rawArgs, "balance");
      if (ids.length !== pems.length)
        throw new UserError(`Each --api-key-id needs its own --public-key (got ${ids.length} key id(s) and ${pems.length} public key(s)).`);
      if (balances.length > ids.length) throw new UserError("More --balance values than accounts (--api-key-id).");
      const accounts: SimAccountOptions[] = ids.map((id, i) => {
        let pem: string;
        try {
          pem = readFileSync(pems[i]!, "utf8");
        } catch (e) {
          throw new UserError(`--public-key ${pems[i]}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
        }
        if (/PRIVATE[ ]KEY/.test(pem))
          throw new UserError(`--public-key ${pems[i]} holds a private key; give the exchange only the public key.`);
        let balanceMicros: number;
        try {
          balanceMicros = parseDollars(balances[i] ?? "1000", "--balance");
        } catch (e) {
          if (e instanceof MoneyFormatError) throw new UserError(`--balance ${balances[i]}: expected dollars such as 1000 or 250.50.`);
          throw e;
        }
        return { apiKeyId: id, publicKeyPem: pem, balanceMicros };
      });

      if (a["key-file"] !== undefined && !a["print-config"])
        throw new UserError("--key-file goes with --print-config; add --print-config or remove --key-file.");
      const local = a["print-config"] ? localKey(a["key-file"] ? String(a["key-file"]) : "sim-key.pem") : null;
      if (local) {
        if (ids.includes(LOCAL_KEY_ID))
          throw new UserError(`--api-key-id ${LOCAL_KEY_ID} is the account --print-config adds; choose another key id.`);
        accounts.push({ apiKeyId: LOCAL_KEY_ID, publicKeyPem: local.publicKeyPem, balanceMicros: 1_000 * MICROS_PER_DOLLAR });
      }

      let server;
      try {
        server = await startSimServer({
          host,
          port,
          seed,
          markets,
          scenario,
          tier,
          faults: a.faults ? String(a.faults) : undefined,
          speed,
          ...(startMs !== undefined ? { startMs } : {}),
          ...(historyAfterS !== undefined ? { historyAfterS } : {}),
          accounts,
          quiet: true,
        });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === "EADDRINUSE" || /in use/i.test(err.message))
          throw new UserError(`Port ${port} is already in use; pick another with --port or use --port 0.`);
        if (err.code === "EADDRNOTAVAIL" || err.code === "EINVAL" || /address not available|invalid argument, listen/i.test(err.message))
          throw new UserError(
            `--host ${host}: cannot listen there (${err.code ?? err.message}); give an address of this machine such as 127.0.0.1 (the default).`,
          );
        if (/public key|PEM|asn1|DECODER/i.test(err.message)) throw new UserError(`A public key could not be read as PEM: ${err.message}`);
        throw e;
      }
      if (accounts.length === 0 && server.scenario.accounts.length === 0) {
        log.warn("No accounts: only public endpoints will answer. Add --api-key-id ID --public-key PEM_FILE [--balance DOLLARS].");
      }
      // First line on stdout, before any log line, so scripts can capture it (with --print-config the
      // whole stdout is the config, whose base_url is that line).
      if (local)
        process.stdout.write(
          localConfig({ baseUrl: server.baseUrl, keyPath: local.path, tier, series: [...server.exchange.series.keys()].sort() }),
        );
      else process.stdout.write(`${server.baseUrl}\n`);
      const n = [...server.exchange.accounts.values()].filter((acct) => !acct.internal).length;
      log.info(
        `sim: ${server.exchange.markets.size} markets, ${n} account(s), tier ${tier}, seed ${seed}${a.faults ? `, faults ${a.faults}` : ""}`,
      );
      log.info(`sim: REST ${server.baseUrl}  WebSocket ${server.wsUrl}`);

      await new Promise<void>((resolve) => {
        const done = () => resolve();
        process.once("SIGTERM", done);
        process.once("SIGINT", done);
      });
      log.info("sim: stopping");
      await server.stop();
      return 0;
    },
    { repeatable: ["api-key-id", "public-key", "balance"] },
  ),
});
