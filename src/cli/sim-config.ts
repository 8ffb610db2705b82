// `kalshi-bot sim --print-config`: a key pair for a local account (kept in a file so the next start
// reuses it) and a ready advanced_config.json for trading against this exchange.
import { createPublicKey } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { generateKeyPair } from "../sim/keys.ts";
import { UserError } from "./shared.ts";

export const LOCAL_KEY_ID = "sim-local";

/** The private key at `path` (created 0600 when missing) and its public half. */
export function localKey(path: string): { path: string; publicKeyPem: string } {
  const abs = resolve(path);
  if (!existsSync(abs)) {
    const kp = generateKeyPair();
    writeFileSync(abs, kp.privateKeyPem, { mode: 0o600, flag: "wx" });
    return { path: abs, publicKeyPem: kp.publicKeyPem };
  }
  try {
    return { path: abs, publicKeyPem: createPublicKey(readFileSync(abs, "utf8")).export({ type: "spki", format: "pem" }).toString() };
  } catch (e) {
    throw new UserError(
      `--key-file ${path}: not a readable private key (${(e as NodeJS.ErrnoException).code ?? "not PEM"}); remove it to have a new one generated, or name another file`,
    );
  }
}

export function localConfig(o: { baseUrl: string; keyPath: string; tier: string; series: string[] }): string {
  const rateTier = ["basic", "advanced", "premier", "paragon", "prime"].includes(o.tier) ? o.tier : "prime";
  const config = {
    exchange: { environment: "sim", base_url: o.baseUrl, api_key_id: LOCAL_KEY_ID, private_key_path: o.keyPath, rate_tier: rateTier },
    // Live orders on the local exchange (no real money); the autonomous checklist still applies. The
    // market maker, shipped disabled (it lost money on real data), is on here: a play exchange.
    trading: {
      dry_run: false,
      autonomous_mode: true,
      non_interactive: true,
      series_tickers: o.series,
      strategies: { market_maker: { enabled: true } },
    },
  };
  return JSON.stringify(config, null, 2) + "\n";
}
