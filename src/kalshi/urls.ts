// Kalshi hosts (API.md §1). The dedicated `external-api` hosts are current; the older shared hosts
// still answer with the same signatures (the signature covers only the path).

export type KalshiEnvironment = "production" | "demo";

export const REST_PATH = "/trade-api/v2";
export const WS_PATH = "/trade-api/ws/v2";

export const KALSHI_HOSTS = {
  production: {
    rest: "https://external-api.kalshi.com/trade-api/v2",
    restLegacy: "https://api.elections.kalshi.com/trade-api/v2",
    ws: "wss://external-api-ws.kalshi.com/trade-api/ws/v2",
    wsLegacy: "wss://api.elections.kalshi.com/trade-api/ws/v2",
  },
  demo: {
    rest: "https://external-api.demo.kalshi.co/trade-api/v2",
    restLegacy: "https://demo-api.kalshi.co/trade-api/v2",
    ws: "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2",
    wsLegacy: "wss://demo-api.kalshi.co/trade-api/ws/v2",
  },
} as const;

export function restBaseUrl(env: KalshiEnvironment, legacy = false): string {
  return legacy ? KALSHI_HOSTS[env].restLegacy : KALSHI_HOSTS[env].rest;
}

/**
 * Normalise a REST base URL: no trailing slash, and `/trade-api/v2` appended when the caller gave
 * only a host (e.g. `http://127.0.0.1:8080` for the local exchange).
 */
export function normalizeBaseUrl(baseUrl: string): string {
  const u = new URL(baseUrl);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`base URL must be http(s): ${baseUrl}`);
  let path = u.pathname.replace(/\/+$/, "");
  if (!path.endsWith(REST_PATH)) path = `${path}${REST_PATH}`;
  return `${u.protocol}//${u.host}${path}`;
}

/**
 * The WebSocket URL that goes with a REST base URL. Kalshi's own hosts use a separate `-ws` host;
 * anything else (our local exchange) serves both on the same host and port.
 */
export function wsUrlFromBaseUrl(baseUrl: string): string {
  const rest = normalizeBaseUrl(baseUrl);
  for (const env of ["production", "demo"] as const) {
    if (rest === KALSHI_HOSTS[env].rest) return KALSHI_HOSTS[env].ws;
    if (rest === KALSHI_HOSTS[env].restLegacy) return KALSHI_HOSTS[env].wsLegacy;
  }
  const u = new URL(rest);
  const proto = u.protocol === "https:" ? "wss:" : "ws:";
  const prefix = u.pathname.slice(0, u.pathname.length - REST_PATH.length);
  return `${proto}//${u.host}${prefix}${WS_PATH}`;
}
