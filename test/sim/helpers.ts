// Shared by the sim tests: a signed HTTP client for a running sim server and a small scenario with
// hand-placed books and no other participants, so arithmetic can be checked by hand.
import { authHeaders, privateKeyFromPem } from "../../src/kalshi/signer.ts";
import { generateKeyPair, type KeyPairPem } from "../../src/sim/keys.ts";
import type { ScenarioInput } from "../../src/sim/scenario-schema.ts";
import type { KeyObject } from "node:crypto";

let cached: KeyPairPem | null = null;
/** One generated pair per test process: RSA generation is slow-ish and keys are never committed. */
export function testKeys(): KeyPairPem {
  return (cached ??= generateKeyPair());
}

export interface Reply<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export class Client {
  private key: KeyObject;
  constructor(
    readonly baseUrl: string,
    readonly keyId: string,
    privateKeyPem: string,
  ) {
    this.key = privateKeyFromPem(privateKeyPem);
  }

  async call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    opts: { sign?: boolean; nowMs?: number; raw?: string } = {},
  ): Promise<Reply<T>> {
    const url = this.baseUrl + path;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (opts.sign !== false) Object.assign(headers, authHeaders(this.keyId, this.key, method, new URL(url).pathname, opts.nowMs));
    const r = await fetch(url, { method, headers, body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
    const text = await r.text();
    let parsed: any = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: r.status, body: parsed, text, headers: r.headers };
  }

  get<T = any>(path: string, opts?: { sign?: boolean; nowMs?: number }) {
    return this.call<T>("GET", path, undefined, opts);
  }
  post<T = any>(path: string, body: unknown) {
    return this.call<T>("POST", path, body);
  }
  del<T = any>(path: string, body?: unknown) {
    return this.call<T>("DELETE", path, body);
  }
}

export const T_BIN = "KXTEST-26NOV24-YES";
export const T_MAKERFEE = "KXMAKER-26NOV24-A";
export const T_DECI = "KXDECI-26NOV24-A";
export const EV_BRACKET = "KXBRK-26NOV24";

/**
 * Hand-made markets with static books owned by the house maker (no participant activity):
 *  - KXTEST-26NOV24-YES: YES bids 0.40×10, 0.45×5; NO bids 0.48×3 (YES ask 0.52), 0.50×4 (YES ask 0.50)
 *  - KXMAKER-26NOV24-A on a quadratic_with_maker_fees series, empty book
 *  - KXDECI-26NOV24-A on a deci-cent grid, empty book
 *  - a 3-strike bracket event, closes at 600 s
 */
export function handScenario(): ScenarioInput {
  return {
    name: "hand",
    series: [
      { ticker: "KXTEST", title: "Test", fee_type: "quadratic", fee_multiplier: 1 },
      { ticker: "KXMAKER", title: "Maker fees", fee_type: "quadratic_with_maker_fees", fee_multiplier: 1 },
      { ticker: "KXDECI", title: "Deci", fee_type: "quadratic", fee_multiplier: 0.5 },
      { ticker: "KXBRK", title: "Bracket", fee_type: "quadratic" },
    ],
    events: [
      {
        event_ticker: "KXTEST-26NOV24",
        series_ticker: "KXTEST",
        title: "Test binary",
        close_in_s: 3600,
        liquidity: "none",
        markets: [
          {
            ticker: T_BIN,
            yes_sub_title: "Yes",
            result: "yes",
            book: {
              yes: [
                ["0.4000", "10.00"],
                ["0.4500", "5.00"],
              ],
              no: [
                ["0.4800", "3.00"],
                ["0.5000", "4.00"],
              ],
            },
          },
        ],
      },
      {
        event_ticker: "KXMAKER-26NOV24",
        series_ticker: "KXMAKER",
        title: "Maker",
        close_in_s: 3600,
        liquidity: "none",
        markets: [{ ticker: T_MAKERFEE, yes_sub_title: "A" }],
      },
      {
        event_ticker: "KXDECI-26NOV24",
        series_ticker: "KXDECI",
        title: "Deci",
        close_in_s: 3600,
        liquidity: "none",
        price_level_structure: "deci_cent",
        markets: [{ ticker: T_DECI, yes_sub_title: "A" }],
      },
      {
        event_ticker: EV_BRACKET,
        series_ticker: "KXBRK",
        title: "Bracket",
        mutually_exclusive: true,
        close_in_s: 600,
        settlement_timer_s: 60,
        liquidity: "none",
        process: { kind: "categorical", vol_per_min: 0 },
        markets: [
          { suffix: "A", yes_sub_title: "A", fair: 0.5, result: "yes", book: { yes: [], no: [["0.6000", "50.00"]] } },
          { suffix: "B", yes_sub_title: "B", fair: 0.3, result: "no", book: { yes: [], no: [["0.7500", "50.00"]] } },
          { suffix: "C", yes_sub_title: "C", fair: 0.2, result: "no", book: { yes: [], no: [["0.8500", "50.00"]] } },
        ],
      },
    ],
    participants: { makers: false, noise_takers: false, mispricing_every_s: 0, activity: 0 },
  };
}

/**
 * `dist/kalshi-bot sim` as a child process on 127.0.0.1 with the given accounts (public keys are
 * written to a temp folder), ready once it prints its base URL. Stop it with `stop()`.
 */
export interface SimProcess {
  baseUrl: string;
  wsUrl: string;
  origin: string;
  dir: string;
  output(): string;
  stop(): Promise<number | null>;
}

export async function spawnSimBinary(opts: {
  accounts: { id: string; publicKeyPem: string; balance?: string }[];
  args?: string[];
  scenario?: ScenarioInput;
}): Promise<SimProcess> {
  const { ensureBinary, startBin, tempDir } = await import("../helpers/bin.ts");
  const { writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  await ensureBinary();
  const dir = tempDir("sim-bin-");
  const args = ["sim", "--port", "0", "--host", "127.0.0.1", ...(opts.args ?? [])];
  opts.accounts.forEach((a, i) => {
    const pem = join(dir, `pub-${i}.pem`);
    writeFileSync(pem, a.publicKeyPem);
    args.push("--api-key-id", a.id, "--public-key", pem, "--balance", a.balance ?? "1000");
  });
  if (opts.scenario) {
    const f = join(dir, "scenario.json");
    writeFileSync(f, JSON.stringify(opts.scenario));
    args.push("--scenario", f);
  }
  const r = startBin(args, { cwd: dir });
  const out = await r.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/trade-api\/v2$/m, 20_000);
  const baseUrl = /^(http:\/\/127\.0\.0\.1:\d+\/trade-api\/v2)$/m.exec(out)![1]!;
  const origin = baseUrl.replace("/trade-api/v2", "");
  return {
    baseUrl,
    wsUrl: `${origin.replace("http:", "ws:")}/trade-api/ws/v2`,
    origin,
    dir,
    output: r.output,
    stop: () => r.stop("SIGTERM", 5_000),
  };
}
