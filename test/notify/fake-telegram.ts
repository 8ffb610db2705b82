// A loopback stand-in for Telegram's Bot API (sendMessage, getUpdates long-poll) and for a
// Slack/Discord webhook, recording what the binary sends. Not a mock of our code: the binary talks
// to it over real HTTP, as it would to api.telegram.org.
import type { Server } from "bun";

export interface Sent {
  chatId: string;
  text: string;
}

export interface FakeTelegram {
  baseUrl: string;
  webhookUrl: string;
  token: string;
  sent: Sent[];
  hooks: Array<{ text: string; content: string }>;
  /** Paths requested, with the token replaced by <token> (what an operator's proxy would log). */
  requests: string[];
  /** Queue a message from `chatId` for the next getUpdates. */
  say(chatId: number, text: string): void;
  /** Make sendMessage / the webhook answer with this HTTP status (null: 200). */
  failWith: { telegram: number | null; webhook: number | null };
  waitSent(re: RegExp, ms?: number, where?: "telegram" | "webhook"): Promise<string>;
  stop(): void;
}

export function startFakeTelegram(token: string, backlog: Array<{ chatId: number; text: string }> = []): FakeTelegram {
  let nextId = 100;
  const updates: Array<{ update_id: number; message: { chat: { id: number }; text: string } }> = backlog.map((b) => ({
    update_id: nextId++,
    message: { chat: { id: b.chatId }, text: b.text },
  }));
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  const f: FakeTelegram = {
    baseUrl: "",
    webhookUrl: "",
    token,
    sent: [],
    hooks: [],
    requests: [],
    failWith: { telegram: null, webhook: null },
    say(chatId, text) {
      updates.push({ update_id: nextId++, message: { chat: { id: chatId }, text } });
      wake();
    },
    waitSent(re, ms = 30_000, where = "telegram") {
      return new Promise((res, rej) => {
        const check = () => {
          const hit = where === "telegram" ? f.sent.find((s) => re.test(s.text))?.text : f.hooks.find((h) => re.test(h.text))?.text;
          if (hit !== undefined) {
            waiters.delete(check);
            clearTimeout(t);
            res(hit);
          }
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          rej(
            new Error(
              `no ${where} message matching ${re} within ${ms} ms; got:\n${(where === "telegram" ? f.sent.map((s) => s.text) : f.hooks.map((h) => h.text)).join("\n---\n")}`,
            ),
          );
        }, ms);
        waiters.add(check);
        check();
      });
    },
    stop: () => server.stop(true),
  };
  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      f.requests.push(url.pathname.split(token).join("<token>"));
      if (url.pathname === "/hook") {
        const body = (await req.json()) as { text: string; content: string };
        if (f.failWith.webhook) return new Response("nope", { status: f.failWith.webhook });
        f.hooks.push(body);
        wake();
        return new Response("ok");
      }
      if (!url.pathname.startsWith(`/bot${token}/`))
        return Response.json({ ok: false, error_code: 401, description: "Unauthorized" }, { status: 401 });
      const method = url.pathname.slice(`/bot${token}/`.length);
      if (method === "sendMessage") {
        if (f.failWith.telegram)
          return Response.json(
            { ok: false, error_code: f.failWith.telegram, description: "Unauthorized" },
            { status: f.failWith.telegram },
          );
        const body = (await req.json()) as { chat_id: string | number; text: string };
        f.sent.push({ chatId: String(body.chat_id), text: body.text });
        wake();
        return Response.json({ ok: true, result: { message_id: f.sent.length } });
      }
      if (method === "getUpdates") {
        const offset = Number(url.searchParams.get("offset") ?? "0");
        if (offset === -1) return Response.json({ ok: true, result: updates.slice(-1) });
        const pick = () => updates.filter((u) => u.update_id >= offset);
        // A short long-poll: answer as soon as something is queued, or after a second.
        const end = Date.now() + 1_000;
        while (pick().length === 0 && Date.now() < end) await Bun.sleep(20);
        return Response.json({ ok: true, result: pick() });
      }
      return Response.json({ ok: false, description: "Not Found" }, { status: 404 });
    },
  });
  f.baseUrl = `http://127.0.0.1:${server.port}`;
  f.webhookUrl = `http://127.0.0.1:${server.port}/hook`;
  return f;
}
