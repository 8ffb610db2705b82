// The dashboard's HTTP server (Bun.serve): the page and its assets (embedded in the binary), the
// JSON it polls (/api/state) and Prometheus metrics (/metrics). Loopback by default; bound
// anywhere else it refuses to start without a token, and with a token every data request must
// carry it (Authorization: Bearer, or ?token= for a browser's first load). Static assets hold no
// data and are served to anyone who reaches the port.
import { timingSafeEqual } from "node:crypto";
import type { Server } from "bun";
import indexHtml from "./assets/index.html" with { type: "text" };
import appJs from "./assets/app.js" with { type: "text" };
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import { EXPOSITION_CONTENT_TYPE } from "./exposition.ts";

export interface DashboardHandlers {
  state(): unknown;
  metrics(): string;
  /** Where failures of a handler go (one line, already redacted by the caller's logger). */
  warn(msg: string): void;
}

export interface DashboardOptions {
  host: string;
  port: number;
  token: string | null;
}

export class DashboardConfigError extends Error {
  override name = "DashboardConfigError";
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The token in force: KALSHI_BOT_DASHBOARD_TOKEN, else dashboard.token, else none. */
export function dashboardToken(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  const t = env.KALSHI_BOT_DASHBOARD_TOKEN?.trim() || configured || null;
  if (t !== null && t.length < 16)
    throw new DashboardConfigError(
      "KALSHI_BOT_DASHBOARD_TOKEN is shorter than 16 characters; use a long random one, e.g. `openssl rand -hex 24`",
    );
  return t;
}

const ASSETS: Record<string, { body: string; type: string }> = {
  // bun-types call an .html import an HTMLBundle; with type "text" it is the file's text.
  "/": { body: String(indexHtml), type: "text/html; charset=utf-8" },
  "/app.js": { body: appJs, type: "text/javascript; charset=utf-8" },
  "/uplot.js": { body: uplotJs, type: "text/javascript; charset=utf-8" },
  "/uplot.css": { body: uplotCss, type: "text/css; charset=utf-8" },
};

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  "cache-control": "no-store",
};

function tokenOk(req: Request, url: URL, token: string): boolean {
  const auth = req.headers.get("authorization");
  const given = auth?.startsWith("Bearer ") ? auth.slice(7).trim() : url.searchParams.get("token");
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function startDashboard(opts: DashboardOptions, h: DashboardHandlers): Server<undefined> {
  if (!isLoopback(opts.host) && !opts.token) {
    throw new DashboardConfigError(
      `dashboard.host ${opts.host} is not a loopback address: set dashboard.token (or KALSHI_BOT_DASHBOARD_TOKEN) to a long random string first, or keep host 127.0.0.1 and reach it through an SSH tunnel`,
    );
  }
  const respond = (body: string, status: number, type: string) =>
    new Response(body, { status, headers: { "content-type": type, ...SECURITY_HEADERS } });
  try {
    return Bun.serve({
      hostname: opts.host,
      port: opts.port,
      fetch(req) {
        const url = new URL(req.url);
        if (req.method !== "GET" && req.method !== "HEAD") return respond("only GET\n", 405, "text/plain; charset=utf-8");
        const asset = ASSETS[url.pathname];
        if (asset) return respond(asset.body, 200, asset.type);
        if (url.pathname !== "/api/state" && url.pathname !== "/metrics") return respond("not found\n", 404, "text/plain; charset=utf-8");
        if (opts.token && !tokenOk(req, url, opts.token))
          return respond("token required: Authorization: Bearer TOKEN or ?token=TOKEN\n", 401, "text/plain; charset=utf-8");
        try {
          if (url.pathname === "/metrics") return respond(h.metrics(), 200, EXPOSITION_CONTENT_TYPE);
          return respond(JSON.stringify(h.state()), 200, "application/json; charset=utf-8");
        } catch (e) {
          const msg = (e as Error).message ?? String(e);
          h.warn(`dashboard ${url.pathname}: ${msg}`);
          return respond(JSON.stringify({ error: msg }), 500, "application/json; charset=utf-8");
        }
      },
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new DashboardConfigError(
      `dashboard cannot listen on ${opts.host}:${opts.port} (${code}): choose another dashboard.port (or --port), or stop what uses it`,
    );
  }
}
