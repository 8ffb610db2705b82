// Where notifications go: Telegram's Bot API (sendMessage) and a generic JSON webhook (Slack and
// Discord incoming webhooks read `text` and `content`). Plain fetch, bounded by a timeout; errors
// name the channel and the HTTP status or cause, never the token or the webhook's URL.
import { redact } from "../ops/redact.ts";

export interface Channel {
  readonly name: string;
  send(text: string, signal: AbortSignal): Promise<void>;
}

export class DeliveryError extends Error {
  override name = "DeliveryError";
}

function describe(e: unknown): string {
  const err = e as Error & { code?: string };
  if (err?.name === "TimeoutError" || err?.name === "AbortError") return "timed out";
  return redact(err?.code ?? err?.message ?? String(e));
}

async function post(url: string, body: unknown, signal: AbortSignal, what: string): Promise<Response> {
  try {
    return await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal,
      redirect: "error",
    });
  } catch (e) {
    throw new DeliveryError(`${what}: ${describe(e)}`);
  }
}

export class TelegramChannel implements Channel {
  readonly name = "telegram";
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    readonly chatId: string,
  ) {}

  /** A Bot API method's URL (the token is part of it: never print it). */
  method(name: string): string {
    return `${this.baseUrl.replace(/\/+$/, "")}/bot${this.token}/${name}`;
  }

  async send(text: string, signal: AbortSignal, chatId = this.chatId): Promise<void> {
    const res = await post(
      this.method("sendMessage"),
      { chat_id: chatId, text: text.slice(0, 4000), disable_web_page_preview: true },
      signal,
      "telegram",
    );
    if (!res.ok) {
      let why = `HTTP ${res.status}`;
      try {
        const j = (await res.json()) as { description?: string; parameters?: { retry_after?: number } };
        if (j.description) why += ` ${j.description}`;
        if (j.parameters?.retry_after) why += ` (retry after ${j.parameters.retry_after} s)`;
      } catch {}
      throw new DeliveryError(`telegram: ${redact(why)}`);
    }
    await res.body?.cancel();
  }
}

export class WebhookChannel implements Channel {
  readonly name = "webhook";
  constructor(private readonly url: string) {}
  async send(text: string, signal: AbortSignal): Promise<void> {
    // Slack reads `text`, Discord `content` (at most 2,000 characters).
    const res = await post(this.url, { text: text.slice(0, 3000), content: text.slice(0, 1990) }, signal, "webhook");
    await res.body?.cancel();
    if (!res.ok) throw new DeliveryError(`webhook: HTTP ${res.status}`);
  }
}
