// A recording tap between a client (the spawned bot, or KalshiWs/KalshiClient in the test) and the
// local exchange: a loopback HTTP + WebSocket proxy that forwards every request and frame unchanged
// (signatures cover method and path only, so they stay valid) and keeps a copy of each, for the
// contract tests to validate what really went over the wire.
import type { ServerWebSocket } from "bun";

export interface RestRecord {
  method: string;
  path: string;
  status: number;
  body: unknown;
  requestBody: unknown;
}
export interface Recording {
  rest: RestRecord[];
  /** Frames the client sent (commands). */
  commands: unknown[];
  /** Frames the exchange sent (messages). */
  messages: unknown[];
}

export interface RecordingProxy {
  baseUrl: string;
  rec: Recording;
  stop(): void;
}

interface Link {
  upstream: WebSocket;
  queue: string[];
  open: boolean;
}

/** `target` is the exchange's origin (http://127.0.0.1:PORT). */
export function startRecordingProxy(target: string): RecordingProxy {
  const rec: Recording = { rest: [], commands: [], messages: [] };
  const parse = (t: string): unknown => {
    try {
      return t === "" ? undefined : JSON.parse(t);
    } catch {
      return t;
    }
  };
  const server = Bun.serve<{ headers: Record<string, string>; path: string; link?: Link }>({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req, srv) {
      const u = new URL(req.url);
      if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
        const headers: Record<string, string> = {};
        for (const [k, v] of req.headers) if (k.toLowerCase().startsWith("kalshi-")) headers[k] = v;
        if (srv.upgrade(req, { data: { headers, path: u.pathname + u.search } })) return undefined;
        return new Response("upgrade failed", { status: 400 });
      }
      const reqText = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
      const headers = new Headers(req.headers);
      headers.delete("host");
      const resp = await fetch(target + u.pathname + u.search, { method: req.method, headers, body: reqText === "" ? undefined : reqText });
      const text = await resp.text();
      rec.rest.push({
        method: req.method,
        path: u.pathname + u.search,
        status: resp.status,
        body: parse(text),
        requestBody: parse(reqText),
      });
      const out = new Headers(resp.headers);
      out.delete("content-length");
      out.delete("content-encoding");
      return new Response(text, { status: resp.status, headers: out });
    },
    websocket: {
      open(ws: ServerWebSocket<{ headers: Record<string, string>; path: string; link?: Link }>) {
        const upstream = new WebSocket(target.replace(/^http/, "ws") + ws.data.path, { headers: ws.data.headers } as unknown as string[]);
        const link: Link = { upstream, queue: [], open: false };
        ws.data.link = link;
        upstream.addEventListener("open", () => {
          link.open = true;
          for (const m of link.queue.splice(0)) upstream.send(m);
        });
        upstream.addEventListener("message", (ev) => {
          const text = typeof ev.data === "string" ? ev.data : Buffer.from(ev.data as ArrayBuffer).toString("utf8");
          rec.messages.push(parse(text));
          ws.send(text);
        });
        upstream.addEventListener("close", (ev) => ws.close(ev.code === 1005 ? 1000 : ev.code, ev.reason));
        upstream.addEventListener("error", () => ws.close(1011, "upstream error"));
      },
      message(ws, message) {
        const text = typeof message === "string" ? message : Buffer.from(message).toString("utf8");
        rec.commands.push(parse(text));
        const link = ws.data.link!;
        if (link.open) link.upstream.send(text);
        else link.queue.push(text);
      },
      close(ws) {
        ws.data.link?.upstream.close();
      },
    },
  });
  return { baseUrl: `http://127.0.0.1:${server.port}/trade-api/v2`, rec, stop: () => server.stop(true) };
}
