// The embeddable local exchange: startSimServer() builds an Exchange from a scenario, serves REST
// under /trade-api/v2 and WebSocket at /trade-api/ws/v2 on loopback, and drives the sim clock.
// The CLI (`kalshi-bot sim`), the bot's `exchange.environment: "sim"` and the tests all use it.
import type { Server } from "bun";
import { parseDollars } from "../kalshi/money.ts";
import { publicKeyFromPem } from "../kalshi/signer.ts";
import { Account } from "./accounts.ts";
import { authenticate, hasAuthHeaders } from "./auth.ts";
import { ManualClock, ScaledClock, type SimClock } from "./clock.ts";
import * as E from "./errors.ts";
import { Exchange } from "./exchange.ts";
import { FaultInjector, parseFaults, type FaultSpec } from "./faults.ts";
import type { Participants } from "./participants.ts";
import { isTier, RateLimiter, type Tier } from "./rate-limit.ts";
import { matchRoute, type Ctx } from "./rest-routes.ts";
import { Rng } from "./rng.ts";
import { defaultScenario, DEFAULT_MARKETS } from "./scenario-default.ts";
import { parseScenario, type Scenario, type ScenarioInput } from "./scenario-schema.ts";
import { loadScenario } from "./scenario.ts";
import type { FlowMode } from "./participant-flow.ts";
import { WsHub, type WsData } from "./ws-server.ts";

export interface SimAccountOptions {
  apiKeyId: string;
  publicKeyPem: string;
  /** Starting cash in micros (1/1,000,000 $). */
  balanceMicros: number;
  /** Stable user id; derived from the key id when absent. */
  userId?: string;
}

export interface SimServerOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  seed?: number | string;
  /** Size of the built-in scenario (ignored when `scenario` is given). */
  markets?: number;
  /** A parsed scenario, its JSON, or nothing for the built-in one. */
  scenario?: Scenario | ScenarioInput;
  tier?: Tier | string;
  /** Fault spec string (see faults.ts) or a parsed spec. */
  faults?: string | FaultSpec;
  /** Sim seconds per wall second. */
  speed?: number;
  /**
   * Sim time the exchange starts at, Unix ms (default: the scenario's start_time, else now). A seed
   * and a start replay the same market; the built-in scenario's tickers carry the start's dates.
   */
  startMs?: number;
  /** Override the scenario's participants block (e.g. switch the competing arbitrageurs off). */
  participants?: Partial<Scenario["participants"]>;
  /** Record the participants' orders and cancels, or replay such a recording of the same seed instead of deciding. */
  flow?: FlowMode;
  /** Archive settled markets and trades to `/historical/*` this many sim seconds after (default: never). */
  historyAfterS?: number;
  /** A clock of your own (tests: ManualClock, then call `tick()`); overrides `speed`. */
  clock?: SimClock;
  accounts?: SimAccountOptions[];
  quiet?: boolean;
  /** Engine tick period in wall ms (default 50). */
  tickMs?: number;
  /** WS heartbeat period (default 10 s). */
  pingEveryMs?: number;
  /** Called for one line per notable server event when not quiet. */
  log?: (line: string) => void;
  /** The wall clock request signatures are checked against (default Date.now): a test that shifts its bot's clock shifts this alike. */
  wallNow?: () => number;
}

export interface SimServer {
  /** e.g. http://127.0.0.1:PORT/trade-api/v2 */
  baseUrl: string;
  /** e.g. ws://127.0.0.1:PORT/trade-api/ws/v2 */
  wsUrl: string;
  port: number;
  host: string;
  exchange: Exchange;
  participants: Participants;
  clock: SimClock;
  scenario: Scenario;
  /** Run everything due on the sim clock now (the timer does this too unless the clock is manual). */
  tick(): void;
  /** Register another account while running. */
  addAccount(a: SimAccountOptions): Account;
  /** What an account holds right now (for tests and the embedding bot), or undefined for an unknown key. */
  accountSnapshot(apiKeyId: string): AccountSnapshot | undefined;
  /**
   * What went over the wire so far: REST requests received and answered, WebSocket frames sent (a
   * harness that steps a manual clock compares these with what a bot says it sent and received, to
   * step only once the bot has seen and answered everything: test/engine/parity-run.ts).
   */
  traffic(): { requestsReceived: number; requestsAnswered: number; framesSent: number };
  stop(): Promise<void>;
}

export interface AccountSnapshot {
  userId: string;
  /** Kalshi's balance: cash not held for resting orders. */
  balanceMicros: number;
  cashMicros: number;
  reservedMicros: number;
  positions: { ticker: string; position: number; costMicros: number; realizedPnlMicros: number; feesPaidMicros: number }[];
  restingOrders: number;
  settlements: number;
}

const REST_PREFIX = "/trade-api/v2";
const WS_PATH = "/trade-api/ws/v2";

/** One user id per key id, stable across runs, so logs and fixtures line up. */
function userIdFor(apiKeyId: string): string {
  return new Rng(`user:${apiKeyId}`).uuid();
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8" } });
}

/** A batch costs its per-item price once per item (API.md §5.3). */
function batchSize(path: string, rawBody: string): number {
  if (!path.endsWith("/batched")) return 1;
  try {
    const n = (JSON.parse(rawBody) as { orders?: unknown[] })?.orders?.length;
    return typeof n === "number" && n > 0 ? n : 1;
  } catch {
    return 1;
  }
}

const GATEWAY_PAGES: Record<string, string> = {
  "502":
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n",
  "503":
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n",
};

/**
 * A body that errors before its first byte: Bun resets the connection without an HTTP answer.
 * No reason is passed to error(): with one, Bun prints it as an unhandled error.
 */
function droppedConnection(): Response {
  return new Response(new ReadableStream({ start: (c) => c.error() }), { status: 200 });
}

function stopHubIfThrows<T>(hub: { stop(): void }, f: () => T): T {
  try {
    return f();
  } catch (e) {
    hub.stop();
    throw e;
  }
}

export async function startSimServer(opts: SimServerOptions = {}): Promise<SimServer> {
  const seed = opts.seed ?? 1;
  const parsed = opts.scenario ? parseScenario(opts.scenario, "scenario") : null;
  const fileStart = parsed?.start_time !== undefined ? Date.parse(parsed.start_time) : undefined;
  const clock = opts.clock ?? new ScaledClock(opts.speed ?? 1, opts.startMs ?? fileStart ?? Date.now());
  const wallNow = opts.wallNow ?? Date.now;
  const ex = new Exchange(clock, seed);
  if (opts.historyAfterS !== undefined) ex.historyAfterMs = opts.historyAfterS * 1000;
  const base =
    parsed ?? parseScenario(defaultScenario({ seed, markets: opts.markets ?? DEFAULT_MARKETS, startMs: clock.now() }), "built-in scenario");
  const scenario = opts.participants ? { ...base, participants: { ...base.participants, ...opts.participants } } : base;
  const log = opts.quiet ? () => {} : (opts.log ?? ((l: string) => console.error(l)));

  const addAccount = (a: SimAccountOptions): Account => {
    const acct = new Account(a.userId ?? userIdFor(a.apiKeyId), a.balanceMicros, a.apiKeyId, publicKeyFromPem(a.publicKeyPem));
    return ex.addAccount(acct);
  };
  for (const a of opts.accounts ?? []) addAccount(a);
  for (const a of scenario.accounts) {
    const pem = a.public_key_pem ?? (await Bun.file(a.public_key_file!).text());
    addAccount({ apiKeyId: a.api_key_id, publicKeyPem: pem, balanceMicros: parseDollars(a.balance_dollars) });
  }
  ex.onError = (e) => log(`sim: scheduled work failed: ${(e as Error)?.stack ?? String(e)}`);
  const participants = loadScenario(ex, scenario, seed, opts.flow);
  ex.tick();

  const tierName = opts.tier ?? "basic";
  if (!isTier(tierName)) throw new Error(`unknown tier "${tierName}" (basic, advanced, premier, paragon, prime, unlimited)`);
  const limiter = new RateLimiter(tierName);
  const faultSpec = typeof opts.faults === "string" || opts.faults === undefined ? parseFaults(opts.faults) : opts.faults;
  const faults = new FaultInjector(faultSpec, seed);
  const hub = new WsHub(ex, faults.active ? faults : null, opts.pingEveryMs);
  const pending = new Set<{ timer: ReturnType<typeof setTimeout>; resolve: () => void }>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const h = {
        timer: setTimeout(() => {
          pending.delete(h);
          resolve();
        }, ms),
        resolve,
      };
      pending.add(h);
    });
  let stopping = false;
  const requests = { received: 0, answered: 0 };

  const lookup = (keyId: string) => ex.accountsByKey.get(keyId);

  /** One REST or WebSocket-upgrade request; `fetch` below dates its answer. */
  async function handle(req: Request, srv: Server<WsData>): Promise<Response | undefined> {
    const url = new URL(req.url);
    const path = url.pathname;
    if (path === WS_PATH || path === `${WS_PATH}/`) {
      try {
        const acct = authenticate(req.headers, "GET", WS_PATH, lookup, wallNow());
        if (srv.upgrade(req, { data: { userId: acct.userId } })) return undefined;
        return json(400, { error: { code: "bad_request", message: "websocket upgrade expected" } });
      } catch (e) {
        if (e instanceof E.SimError) return json(e.status, e.body);
        throw e;
      }
    }
    // Everything else is a REST request: counted in and out for traffic().
    requests.received++;
    try {
      return await handleRest(req, srv, url, path);
    } finally {
      requests.answered++;
    }
  }

  async function handleRest(req: Request, srv: Server<WsData>, url: URL, path: string): Promise<Response> {
    if (!path.startsWith(REST_PREFIX)) return json(404, { error: { code: "not_found", message: "not found" } });
    const m = matchRoute(req.method, path);
    if (m === null) return json(404, { error: { code: "not_found", message: "not found" } });
    if (m === "method") return json(405, { error: { code: "method_not_allowed", message: "method not allowed" } });
    const { route, params } = m;
    const fault = faults.http(route.write);
    if (fault === "429") return json(429, { error: "too many requests" });
    if (fault === "500")
      return json(500, { error: { code: "internal_server_error", message: "internal server error", service: "exchange" } });
    if (fault === "502" || fault === "503")
      return new Response(GATEWAY_PAGES[fault], { status: Number(fault), headers: { "content-type": "text/html" } });
    if (fault === "slow") await sleep(faultSpec.slowMs);
    if (fault === "timeout") {
      await sleep(faultSpec.timeoutMs);
      return droppedConnection();
    }
    if (stopping) return json(503, { error: { code: "service_unavailable", message: "service unavailable" } });
    const rawBody = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
    try {
      let account: Account | null = null;
      if (route.auth === "required" || (route.auth === "optional" && hasAuthHeaders(req.headers))) {
        account = authenticate(req.headers, req.method, path, lookup, wallNow());
      }
      const caller = account ? account.userId : `ip:${srv.requestIP(req)?.address ?? "?"}`;
      if (!limiter.allow(caller, route.write ? "write" : "read", route.cost * batchSize(route.path, rawBody)))
        return json(429, { error: "too many requests" });
      if (!(opts.clock instanceof ManualClock)) ex.tick();
      const ctx: Ctx = { ex, url, q: url.searchParams, params, account, rawBody, limiter };
      let reply: ReturnType<typeof route.handle>;
      try {
        reply = route.handle(ctx);
      } finally {
        // The request is one operation: its top-of-book changes go to the candles at its time.
        ex.flushQuotes();
      }
      if (fault === "drop_after_accept") return droppedConnection();
      if (reply.status === 204 || reply.body === undefined) return new Response(null, { status: reply.status });
      return json(reply.status, reply.body);
    } catch (e) {
      if (e instanceof E.SimError) return json(e.status, e.body);
      throw e;
    }
  }

  // A host it cannot listen on must not leave the hub's ping timer holding the process open.
  const server = stopHubIfThrows(hub, () =>
    Bun.serve<WsData>({
      hostname: opts.host ?? "127.0.0.1",
      port: opts.port ?? 0,
      idleTimeout: 120,
      error(err) {
        log(`sim: internal error: ${(err as Error)?.stack ?? String(err)}`);
        return json(500, { error: { code: "internal_server_error", message: "internal server error", service: "exchange" } });
      },
      async fetch(req, srv) {
        const res = await handle(req, srv);
        // An exchange on a shifted wall clock (tests pin the calendar) dates its answers by that clock,
        // as Kalshi dates them by its own: `verify` compares this machine's clock with the Date header.
        if (res && opts.wallNow) res.headers.set("date", new Date(wallNow()).toUTCString());
        return res;
      },
      websocket: {
        open: (ws) => hub.open(ws),
        message: (ws, msg) => hub.message(ws, msg),
        close: (ws) => hub.close(ws),
        sendPings: false,
        idleTimeout: 120,
      },
    }),
  );

  const manual = opts.clock instanceof ManualClock;
  const timer = manual ? null : setInterval(() => ex.tick(), opts.tickMs ?? 50);
  const host = opts.host ?? "127.0.0.1";
  const port = server.port ?? 0;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const baseUrl = `http://${urlHost}:${port}${REST_PREFIX}`;
  const wsUrl = `ws://${urlHost}:${port}${WS_PATH}`;
  log(
    `sim: ${ex.markets.size} markets, ${[...ex.accounts.values()].filter((acct) => !acct.internal).length} account(s), tier ${tierName}${faults.active ? `, faults ${typeof opts.faults === "string" ? opts.faults : "on"}` : ""}`,
  );

  return {
    baseUrl,
    wsUrl,
    port,
    host,
    exchange: ex,
    participants,
    clock,
    scenario,
    tick: () => void ex.tick(),
    addAccount,
    traffic: () => ({ requestsReceived: requests.received, requestsAnswered: requests.answered, framesSent: hub.framesSent }),
    accountSnapshot(apiKeyId) {
      const a = ex.accountsByKey.get(apiKeyId);
      if (!a) return undefined;
      let resting = 0;
      for (const set of a.resting.values()) resting += set.size;
      return {
        userId: a.userId,
        balanceMicros: a.available(),
        cashMicros: a.cash,
        reservedMicros: a.reserved,
        positions: [...a.positions.values()]
          .filter((p) => p.position !== 0)
          .map((p) => ({
            ticker: p.ticker,
            position: p.position,
            costMicros: p.cost,
            realizedPnlMicros: p.realizedPnl,
            feesPaidMicros: p.feesPaid,
          })),
        restingOrders: resting,
        settlements: a.settlements.length,
      };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      if (timer) clearInterval(timer);
      for (const h of pending) {
        clearTimeout(h.timer);
        h.resolve();
      }
      pending.clear();
      hub.stop();
      await server.stop(true);
    },
  };
}
