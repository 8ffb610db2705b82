// Telegram commands from the one allowed chat (notify.telegram.chat_id): /status, /positions,
// /pnl, /pause [reason], /resume, /help. Long-polls getUpdates; messages from any other chat are
// ignored without an answer. Updates queued while the bot was down are skipped at start (a /pause
// sent yesterday must not act today). /pause and /resume write and remove the kill-switch file
// exactly as `kalshi-bot pause` / `resume` do.
import type { LoadedConfig } from "../config/load.ts";
import { collectStatus, renderStatus } from "../ops/status.ts";
import { formatCount, formatDollars2 } from "../kalshi/money.ts";
import { removePause, writePause } from "../ops/kill-switch.ts";
import { redact } from "../ops/redact.ts";
import { dailyPnl, openLedgerReadOnly } from "../engine/ledger/read-views.ts";
import type { TelegramChannel } from "./channels.ts";
import type { StatusArgs } from "../dashboard/state.ts";

interface Update {
  update_id: number;
  message?: { chat?: { id?: number | string }; text?: string };
}

const LONG_POLL_S = 25;

export class TelegramCommands {
  private offset: number | null = null;
  private readonly stop = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(
    private readonly tg: TelegramChannel,
    private readonly loaded: LoadedConfig,
    private readonly args: StatusArgs,
    private readonly timeoutMs: number,
    private readonly warn: (m: string) => void,
    private readonly info: (m: string) => void,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.loop;
  }

  private async getUpdates(offset: number | null, timeoutS: number): Promise<Update[]> {
    const q = new URLSearchParams({ timeout: String(timeoutS), allowed_updates: JSON.stringify(["message"]) });
    if (offset !== null) q.set("offset", String(offset));
    const res = await fetch(`${this.tg.method("getUpdates")}?${q}`, {
      signal: AbortSignal.any([this.stop.signal, AbortSignal.timeout(timeoutS * 1000 + this.timeoutMs)]),
      redirect: "error",
    });
    const j = (await res.json()) as { ok?: boolean; result?: Update[]; description?: string };
    if (!res.ok || !j.ok || !Array.isArray(j.result))
      throw new Error(`getUpdates: HTTP ${res.status}${j.description ? ` ${j.description}` : ""}`);
    return j.result;
  }

  private async run(): Promise<void> {
    let failures = 0;
    let skipped = false;
    while (!this.stop.signal.aborted) {
      try {
        if (!skipped) {
          // The newest queued update, to start after it.
          const last = await this.getUpdates(-1, 0);
          this.offset = last.length ? last[last.length - 1]!.update_id + 1 : null;
          skipped = true;
          continue;
        }
        const updates = await this.getUpdates(this.offset, LONG_POLL_S);
        failures = 0;
        for (const u of updates) {
          this.offset = u.update_id + 1;
          await this.handle(u);
        }
      } catch (e) {
        if (this.stop.signal.aborted) return;
        failures++;
        if (failures === 1 || failures % 20 === 0) this.warn(`telegram commands: ${redact((e as Error).message)}; retrying`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, Math.min(60_000, 1_000 * 2 ** Math.min(failures, 6)));
          this.stop.signal.addEventListener(
            "abort",
            () => {
              clearTimeout(t);
              r();
            },
            { once: true },
          );
        });
      }
    }
  }

  private async handle(u: Update): Promise<void> {
    const chat = u.message?.chat?.id;
    const text = u.message?.text?.trim();
    if (chat === undefined || !text?.startsWith("/")) return;
    if (String(chat) !== this.tg.chatId) return; // not the allowed chat: no answer at all
    const [head, ...rest] = text.split(/\s+/);
    const cmd = head!.replace(/@.*$/, "").toLowerCase();
    const reply = this.answer(cmd, rest.join(" "));
    this.info(`telegram command ${cmd} from the allowed chat`);
    try {
      await this.tg.send(reply, AbortSignal.any([this.stop.signal, AbortSignal.timeout(this.timeoutMs)]));
    } catch (e) {
      this.warn(`telegram reply not delivered (${(e as Error).message})`);
    }
  }

  private answer(cmd: string, arg: string): string {
    const file = this.loaded.paths.killSwitchFile;
    try {
      switch (cmd) {
        case "/status":
          return renderStatus(this.status());
        case "/positions": {
          const s = this.status();
          if (!s.positions.length) return `No positions (${s.ledger} book).`;
          return [
            `Positions (${s.ledger} book):`,
            ...s.positions.map(
              (p) =>
                `${p.ticker}: ${formatCount(p.position)} (cost $${formatDollars2(p.cost_micros)}, realized $${formatDollars2(p.realized_pnl_micros)})`,
            ),
          ].join("\n");
        }
        case "/pnl":
          return this.pnl();
        case "/pause": {
          const line = writePause(file, arg || "paused from Telegram", "telegram /pause");
          return `Paused: ${line}. No new orders; resting ones are cancelled within seconds. /resume ends it.`;
        }
        case "/resume":
          return removePause(file)
            ? "Resumed: the bot trades again from its next cycle (within seconds), unless BOT_DISABLE_TRADING is set for it."
            : "Not paused.";
        case "/start":
        case "/help":
          return "Commands: /status, /positions, /pnl, /pause [reason], /resume";
        default:
          return `Unknown command ${cmd}. Commands: /status, /positions, /pnl, /pause [reason], /resume`;
      }
    } catch (e) {
      return `${cmd} failed: ${redact((e as Error).message)}`;
    }
  }

  private status() {
    return collectStatus({
      ...(this.args.config !== undefined ? { config: this.args.config } : {}),
      ...(this.args["lock-file"] !== undefined ? { "lock-file": this.args["lock-file"] } : {}),
    });
  }

  private pnl(): string {
    const s = this.status();
    const out = [`P&L (${s.ledger} book):`];
    const b = s.heartbeat.data?.bankroll;
    if (b) out.push(`Bankroll $${b.total_dollars} (cash $${b.cash_dollars}, portfolio $${b.portfolio_value_dollars})`);
    if (s.today)
      out.push(
        `Today (UTC ${s.today.date}): realized $${s.today.realized_pnl_dollars}, fees $${s.today.fees_dollars}, ${s.today.fills} fill(s)`,
      );
    if (s.totals) out.push(`All time: realized $${s.totals.realized_pnl_dollars}, fees $${s.totals.fees_dollars}`);
    const db = openLedgerReadOnly(this.loaded.paths.database);
    if (db) {
      try {
        const days = dailyPnl(db, s.ledger === "paper", this.loaded.config.risk.timezone, Date.now(), 7);
        for (const d of days.slice(-7))
          out.push(`${d.day}: realized $${formatDollars2(d.realizedPnlMicros)}, fees $${formatDollars2(d.feesMicros)}, ${d.fills} fill(s)`);
      } catch {
        // the summary above stands on its own
      } finally {
        db.close();
      }
    }
    return out.join("\n");
  }
}
