// The notifier: channels from the `notify` config, an outbox, the ledger watcher on a timer and,
// if asked, Telegram commands. Everything here is asynchronous or a short read-only look at the
// ledger between the bot's own work; nothing waits for a channel.
import type { LoadedConfig } from "../config/load.ts";
import { log } from "../ops/log.ts";
import { redact, registerSecret } from "../ops/redact.ts";
import type { StatusArgs } from "../dashboard/state.ts";
import { TelegramChannel, WebhookChannel, type Channel } from "./channels.ts";
import { Outbox } from "./outbox.ts";
import { TelegramCommands } from "./telegram-commands.ts";
import { LedgerWatcher, type NotifyEvent } from "./watcher.ts";

const POLL_MS = 1_000;

export interface Notifier {
  /** A last look (the bot's final heartbeat, gathered fills), then deliveries for at most the timeout. */
  stop(): Promise<void>;
}

/** The Telegram token in force: KALSHI_BOT_TELEGRAM_TOKEN, else notify.telegram.bot_token. */
export function telegramToken(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.KALSHI_BOT_TELEGRAM_TOKEN?.trim() || loaded.config.notify.telegram.bot_token;
}

export function startNotifier(loaded: LoadedConfig, args: StatusArgs, opts: { startStop: boolean }): Notifier | null {
  const n = loaded.config.notify;
  const token = telegramToken(loaded);
  registerSecret(token);
  if (n.webhook_url) registerSecret(n.webhook_url);
  const channels: Channel[] = [];
  let tg: TelegramChannel | null = null;
  if (token && n.telegram.chat_id) channels.push((tg = new TelegramChannel(n.telegram.api_base_url, token, n.telegram.chat_id)));
  else if (token || n.telegram.chat_id)
    log.warn(
      `notify.telegram: ${token ? "chat_id" : "bot_token (or KALSHI_BOT_TELEGRAM_TOKEN)"} is missing; Telegram notifications are off`,
    );
  if (n.webhook_url) channels.push(new WebhookChannel(n.webhook_url));
  if (channels.length === 0) return null;
  const warn = (m: string) => log.warn(redact(m));
  const outbox = new Outbox(channels, { timeoutMs: n.timeout_ms, maxPerMinute: n.max_messages_per_minute, warn });
  const events = new Set<NotifyEvent>(n.events);
  if (!opts.startStop) events.delete("start_stop");
  const watcher = new LedgerWatcher({ loaded, events, send: (t, k) => outbox.send(t, k), fillBatchMs: n.fill_batch_seconds * 1000 });
  const look = (final: boolean) => {
    try {
      watcher.poll(final);
    } catch (e) {
      // A ledger busy past its timeout, a heartbeat being replaced: the next look catches up.
      log.debug(`notify: ${redact((e as Error).message)}`);
    }
  };
  try {
    watcher.init();
  } catch (e) {
    log.debug(`notify: ${redact((e as Error).message)}`);
  }
  const timer = setInterval(() => look(false), POLL_MS);
  const commands = tg && n.telegram.commands ? new TelegramCommands(tg, loaded, args, n.timeout_ms, warn, (m) => log.info(m)) : null;
  commands?.start();
  log.info(`notifications: ${channels.map((c) => c.name).join(" and ")}${commands ? "; Telegram commands from the allowed chat" : ""}`);
  return {
    async stop() {
      clearInterval(timer);
      look(true);
      await commands?.close();
      await outbox.flush(n.timeout_ms);
    },
  };
}
