// Which exchange the bot talks to, and with which key. `sim` without base_url starts our local
// exchange in-process on 127.0.0.1:0 with a throwaway key pair generated on first use and kept
// (0600) beside the database; anything else uses the configured URL and the user's key. The same
// KalshiClient code talks to all of them.
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { randomUUID } from "node:crypto";
import { KalshiClient, KeyFileError, loadPrivateKey, restBaseUrl } from "../kalshi/index.ts";
import { parseDollars } from "../kalshi/money.ts";
import { privateKeyFromPem } from "../kalshi/signer.ts";
import type { KeyObject } from "node:crypto";
import type { LoadedConfig } from "../config/load.ts";
import { EXIT, UserError } from "../errors.ts";
import { writeFileAtomic } from "../ops/atomic.ts";
import type { SimServer } from "../sim/server.ts";
import type { ScenarioInput } from "../sim/scenario-schema.ts";

export interface ExchangeSession {
  client: KalshiClient;
  environment: "sim" | "demo" | "production";
  baseUrl: string;
  /** The in-process exchange, when we started one. */
  embedded: SimServer | null;
  /** Identifies the exchange instance (an embedded one is new at every start). */
  instanceId: string;
  /** The WebSocket URL that goes with the REST base URL. */
  wsUrl: string;
  /**
   * What an authenticated WebSocket (LiveBooks) needs, or null without credentials. A function, not
   * a field: the KeyObject stays in a closure, so logging or serialising the session cannot carry
   * it (a KeyObject prints no key material anyway; this keeps it out of every object we pass around).
   */
  wsAuth(): { apiKeyId: string; privateKey: KeyObject } | null;
  close(): Promise<void>;
}

export type Log = (level: "info" | "warn" | "debug" | "error", msg: string) => void;

export const SIM_KEY_FILE = "sim-key.pem";
export const SIM_KEY_META = "sim-key.json";

/**
 * The REST base URL the config names: `base_url`, else Kalshi's host for the environment; null for
 * `sim` without base_url (the embedded exchange, which has no address until it starts).
 */
export function configuredBaseUrl(ex: LoadedConfig["config"]["exchange"]): string | null {
  if (ex.environment === "sim" && !ex.base_url) return null;
  return ex.base_url ?? restBaseUrl(ex.environment === "production" ? "production" : "demo", ex.use_legacy_host);
}

/** The embedded exchange's throwaway key: generated once, stored 0600 beside the database. */
export async function simKeyPair(dbPath: string): Promise<{ apiKeyId: string; privateKeyPem: string; publicKeyPem: string }> {
  const dir = dirname(dbPath);
  const keyPath = join(dir, SIM_KEY_FILE);
  const metaPath = join(dir, SIM_KEY_META);
  if (existsSync(keyPath) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, "utf8")) as { api_key_id: string; public_key_pem: string };
    return { apiKeyId: meta.api_key_id, privateKeyPem: readFileSync(keyPath, "utf8"), publicKeyPem: meta.public_key_pem };
  }
  mkdirSync(dir, { recursive: true });
  const { generateKeyPair } = await import("../sim/keys.ts");
  const kp = generateKeyPair();
  const apiKeyId = `sim-${randomUUID()}`;
  writeFileAtomic(keyPath, kp.privateKeyPem, 0o600);
  chmodSync(keyPath, 0o600);
  writeFileAtomic(
    metaPath,
    JSON.stringify(
      { api_key_id: apiKeyId, public_key_pem: kp.publicKeyPem, note: "throwaway key of the embedded local exchange; not a Kalshi key" },
      null,
      2,
    ) + "\n",
    0o600,
  );
  return { apiKeyId, ...kp };
}

/**
 * The embedded exchange as the config's `sim` section describes it (seed, markets, speed, scenario)
 * on 127.0.0.1:0. `verify` starts one without accounts to count the markets the scope matches.
 */
export async function startEmbeddedExchange(
  loaded: LoadedConfig,
  accounts: Array<{ apiKeyId: string; publicKeyPem: string; balanceMicros: number }>,
): Promise<SimServer> {
  const c = loaded.config;
  const { startSimServer } = await import("../sim/server.ts");
  let scenario: ScenarioInput | undefined;
  if (c.sim.scenario) {
    const p = c.sim.scenario.startsWith("/") ? c.sim.scenario : join(loaded.baseDir, c.sim.scenario);
    try {
      scenario = JSON.parse(readFileSync(p, "utf8"));
    } catch (e) {
      throw new UserError(`sim.scenario ${p} cannot be read (${(e as Error).message}); fix the path or remove the key`);
    }
  }
  return startSimServer({
    host: "127.0.0.1",
    port: 0,
    seed: c.sim.seed,
    markets: c.sim.markets,
    speed: c.sim.speed,
    quiet: true,
    ...(scenario ? { scenario } : {}),
    accounts,
  });
}

export async function openSession(loaded: LoadedConfig, log: Log): Promise<ExchangeSession> {
  const c = loaded.config;
  const clientLog = (level: "debug" | "info" | "warn" | "error", msg: string) => log(level === "info" ? "debug" : level, msg);
  const common = { tier: c.exchange.rate_tier, timeoutMs: c.exchange.request_timeout_ms, logger: clientLog } as const;

  const baseUrl = configuredBaseUrl(c.exchange);
  if (baseUrl === null) {
    const kp = await simKeyPair(loaded.paths.database);
    const sim = await startEmbeddedExchange(loaded, [
      { apiKeyId: kp.apiKeyId, publicKeyPem: kp.publicKeyPem, balanceMicros: parseDollars(c.sim.balance_dollars) },
    ]);
    const privateKey = privateKeyFromPem(kp.privateKeyPem);
    const client = new KalshiClient({ baseUrl: sim.baseUrl, apiKeyId: kp.apiKeyId, privateKey, ...common });
    log("debug", `embedded exchange on ${sim.baseUrl} (seed ${c.sim.seed}, ${sim.exchange.markets.size} markets)`);
    return {
      client,
      environment: "sim",
      baseUrl: sim.baseUrl,
      embedded: sim,
      instanceId: `embedded:${randomUUID()}`,
      wsUrl: client.wsUrl,
      wsAuth: () => ({ apiKeyId: kp.apiKeyId, privateKey }),
      close: () => sim.stop(),
    };
  }

  let auth: { apiKeyId: string; privateKey: ReturnType<typeof loadPrivateKey> } | null = null;
  if (loaded.apiKeyId && loaded.privateKeyPath) {
    try {
      auth = {
        apiKeyId: loaded.apiKeyId,
        privateKey: loadPrivateKey(loaded.privateKeyPath, { systemdCredential: loaded.keySource === "systemd-credential" }),
      };
    } catch (e) {
      if (e instanceof KeyFileError) throw new UserError(e.message, EXIT.USAGE);
      throw e;
    }
  } else if (loaded.apiKeyId || loaded.privateKeyPath) {
    throw new UserError(
      "exchange.api_key_id and exchange.private_key_path must be set together (or KALSHI_API_KEY_ID and KALSHI_PRIVATE_KEY_PATH)",
    );
  }
  const client = new KalshiClient({ baseUrl, ...(auth ?? {}), ...common });
  return {
    client,
    environment: c.exchange.environment,
    baseUrl: client.baseUrl,
    embedded: null,
    instanceId: client.baseUrl,
    wsUrl: client.wsUrl,
    wsAuth: () => (auth ? { apiKeyId: auth.apiKeyId, privateKey: auth.privateKey } : null),
    close: async () => {},
  };
}
