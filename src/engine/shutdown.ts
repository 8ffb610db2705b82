// Cancel on exit: on SIGTERM/SIGINT, at the end of --once and after a fatal error, the bot cancels
// every resting order it owns (its own rows in this book's ledger; external orders are left alone)
// before it exits, so nothing it placed rests unmanaged. The same order manager as a cycle does it
// (batch cancels through the rate-limited client, the ledger written from each answer), bounded in
// time well inside systemd's TimeoutStopSec (90 s, of which the running cycle may use some first).
// Orders it could not cancel are looked up so the ledger records what became of them, and are
// counted: the exit's log line and the heartbeat say how many were cancelled and how many not.
// With `trading.cancel_on_exit: false` the orders are left resting on purpose (they still expire
// after `trading.order_ttl_seconds`), and the heartbeat and `kalshi-bot status` say so.
import type { Engine } from "./cycle.ts";
import type { ExecSummary } from "./order-manager.ts";
import { notFoundGraceMs } from "./order-manager.ts";
import { balanceMicrosOf, syncFills, syncOrders } from "./portfolio.ts";

/** Longest the exit's cancels may take: well inside TimeoutStopSec=90s after a cycle that was running. */
export const EXIT_CANCEL_TIMEOUT_MS = 30_000;

export interface ExitCancelReport {
  /** `cancel`: trading.cancel_on_exit (default); `keep`: left resting on purpose. */
  policy: "cancel" | "keep";
  canceled: number;
  /** Orders of the bot still resting (or of unknown state) after the attempt: not cancelled. */
  failed: number;
  /** Orders left resting on purpose (policy keep). */
  kept: number;
  /** Why some were not cancelled, when any were not (timeout, second signal, the exchange's error). */
  reason: string | null;
  /** Cash not held by orders after the cancels (Kalshi's balance), when any were cancelled and it was read. */
  cashMicros?: number;
  /** Orders resting in the ledger after the exit (the bot's and external ones), for the heartbeat. */
  restingAfter: number;
}

/** Bot orders that may rest on the exchange: resting, or sent with an outcome not known yet. */
function openBotOrders(engine: Engine) {
  return engine.d.ledger.ordersWithStatus(["resting", "pending", "unknown"]).filter((r) => r.origin === "bot");
}

export async function cancelOnExit(
  engine: Engine,
  opts: {
    cancel: boolean;
    timeoutMs?: number;
    /** Resolves (with its reason) when the operator insists on leaving at once (a second signal). */
    abandon?: Promise<string>;
    log: (level: "info" | "warn" | "debug" | "error", msg: string) => void;
  },
): Promise<ExitCancelReport> {
  // Paper: the feed's crosses and prints since the last sync point fill before any cancel, as live's
  // would have on the exchange (live's own are read after the cancels: recordFillsAtExit).
  // A failure here (the ledger's own, which may be what ended the run) must not keep the cancels from running.
  try {
    const paperFills = engine.paper ? engine.paperSyncAtExit() : 0;
    if (paperFills > 0) opts.log("info", `${paperFills} paper fill(s) seen on the feed since the last pass recorded before the exit`);
  } catch (e) {
    opts.log("warn", `paper fills seen on the feed not recorded at exit: ${(e as Error).message}`);
  }
  const open = openBotOrders(engine);
  const restingAfter = () => engine.d.ledger.ordersWithStatus(["resting"]).length;
  if (!opts.cancel) return { policy: "keep", canceled: 0, failed: 0, kept: open.length, reason: null, restingAfter: restingAfter() };
  if (open.length === 0) return { policy: "cancel", canceled: 0, failed: 0, kept: 0, reason: null, restingAfter: restingAfter() };
  const sum: ExecSummary = { decisions: [], created: 0, canceled: 0, amended: 0, rejected: 0, unknown: 0, filledImmediately: 0 };
  const { ledger } = engine.d;
  let errorText: string | null = null;
  let cashMicros: number | undefined;
  const work = (async () => {
    // Sent with no answer yet: looked up first, so a resting one is cancelled too.
    if (!engine.paper && open.some((r) => r.status !== "resting"))
      await engine.om.resolveOpen(notFoundGraceMs(engine.d.loaded.config.exchange.request_timeout_ms));
    const rows = ledger.ordersWithStatus(["resting"]).filter((r) => r.origin === "bot" && r.orderId);
    await engine.om.cancel(
      rows.map((r) => ({
        kind: "cancel" as const,
        strategy: r.strategy ?? "engine",
        ticker: r.ticker,
        orderId: r.orderId!,
        reason: "exit: cancel_on_exit",
      })),
      sum,
    );
    // A cancel the exchange refused (already filled or gone) or left unanswered: its row is
    // brought up to date from the exchange, so the ledger says what became of it.
    if (!engine.paper && sum.decisions.some((d) => d.result !== "canceled")) await syncOrders(engine.d.session.client, ledger, []);
    // Their collateral is free again: the last heartbeat shows the cash as the exchange has it now.
    if (sum.canceled > 0)
      cashMicros = engine.paper ? engine.d.paperTransport!.availableMicros() : balanceMicrosOf(await engine.d.session.client.getBalance());
  })().catch((e) => {
    errorText = (e as Error).message;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeoutMs = opts.timeoutMs ?? EXIT_CANCEL_TIMEOUT_MS;
  const outcome = await Promise.race([
    work.then(() => null),
    new Promise<string>((r) => (timer = setTimeout(() => r(`no answer within ${Math.round(timeoutMs / 1000)} s`), timeoutMs))),
    ...(opts.abandon ? [opts.abandon] : []),
  ]);
  clearTimeout(timer);
  let left: number;
  let resting: number;
  try {
    left = openBotOrders(engine).length;
    resting = restingAfter();
  } catch {
    // The ledger is unreadable (the error that ended the run may be the database's own).
    left = open.length - sum.canceled;
    resting = left;
  }
  const failures = sum.decisions.filter((d) => d.result !== "canceled").map((d) => d.detail);
  const reason = outcome ?? errorText ?? (failures.length ? failures[0]! : null);
  return {
    policy: "cancel",
    canceled: sum.canceled,
    failed: left,
    kept: 0,
    reason: left > 0 ? reason : null,
    restingAfter: resting,
    ...(cashMicros !== undefined ? { cashMicros } : {}),
  };
}

/** The exit's last log line about orders. */
export function describeExitCancel(r: ExitCancelReport, ttlSeconds: number): string {
  const expiry = ttlSeconds > 0 ? `; they expire on the exchange within ${ttlSeconds} s (trading.order_ttl_seconds)` : "";
  if (r.policy === "keep") return `${r.kept} resting order(s) left on the exchange on purpose (trading.cancel_on_exit is false)${expiry}`;
  if (r.failed === 0) return `${r.canceled} resting order(s) cancelled, 0 could not be`;
  return `${r.canceled} resting order(s) cancelled, ${r.failed} could not be (${r.reason ?? "unknown"})${expiry}; the next start reconciles them`;
}

/** Longest the exit's last read of fills may take. */
export const EXIT_FILLS_TIMEOUT_MS = 5_000;

/**
 * Live only: the exchange's fills since the ledger's last read, recorded before the exit, so the
 * ledger holds what the account holds when the bot stops. A fill can come after the last
 * reconciliation: an immediate-or-cancel order's at the end of `--once` or of a daemon's last pass,
 * or a fill that beat an exit cancel. Before, those reached the ledger only at the next start.
 * Paper's fills are in its ledger when the fill model makes them. Returns the fills recorded, or
 * why none could be read (the next start reads them then).
 */
export async function recordFillsAtExit(
  engine: Engine,
  opts: { timeoutMs?: number; abandon?: Promise<string> },
): Promise<{ added: number } | { failed: string }> {
  if (engine.paper) return { added: 0 };
  const { ledger } = engine.d;
  const read = syncFills(engine.d.session.client, ledger, (t) => ledger.positions().get(t)?.eventTicker ?? null).then(
    ([added]) => ({ added }),
    (e: unknown) => ({ failed: (e as Error).message }),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeoutMs = opts.timeoutMs ?? EXIT_FILLS_TIMEOUT_MS;
  const out = await Promise.race([
    read,
    new Promise<{ failed: string }>(
      (r) => (timer = setTimeout(() => r({ failed: `no answer within ${Math.round(timeoutMs / 1000)} s` }), timeoutMs)),
    ),
    ...(opts.abandon ? [opts.abandon.then((why) => ({ failed: why }))] : []),
  ]);
  clearTimeout(timer);
  return out;
}
