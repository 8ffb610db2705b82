// Renewal of orders that expire on their own (order-ttl.ts): every bot order past half its TTL is
// cancelled before the strategies decide, and the strategies quote it again with a fresh expiry
// (amend cannot move an expiry, and a replacement sent before the cancel would rest twice). An
// order whose cancel fails stays as it is: resting (the strategies see it, nothing doubles) or
// gone (reconciliation records what became of it). The daemon starts a cycle early when one is due.
import type { Ledger } from "./ledger.ts";
import type { ExecSummary, OrderManager } from "./order-manager.ts";
import { dueForRenewal, msUntilRenewal } from "./order-ttl.ts";

export interface OrderRenewalDeps {
  ledger: Ledger;
  om: OrderManager;
  /** The TTL in seconds (0: orders are good till canceled, nothing to renew). */
  ttlSeconds: number;
  /** Scan mode sends nothing, so nothing is scheduled. */
  trading: boolean;
  /** Now on the clock order expiries are in (exchange ms; this machine's for paper orders). */
  ordersNow: () => number;
  log: (level: "info" | "warn" | "debug" | "error", msg: string) => void;
}

export class OrderRenewal {
  /** Monotonic time (performance.now()) at which the first resting order is due for renewal. */
  private dueMono = Number.POSITIVE_INFINITY;
  /** When a cycle last looked at renewals (the orders' clock); rows due by then were that cycle's. */
  private lookedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly d: OrderRenewalDeps) {}

  /** True once a resting order of the bot is due for renewal: the daemon starts a cycle early. */
  due(): boolean {
    return performance.now() >= this.dueMono;
  }

  /**
   * A cycle looks at renewals, whether or not it may trade (a paused or halted cycle renews nothing,
   * and must not be started again and again for it): what is due by now is this cycle's business.
   */
  look(): void {
    this.lookedAt = this.d.ordersNow();
  }

  /**
   * When the next renewal is due, from the bot's resting orders now: at once for an order that came
   * due after the last cycle's look (while that cycle's requests or a reactive pass were running,
   * which call this at their end), else at the next order's due time.
   */
  schedule(): void {
    if (this.d.ttlSeconds <= 0 || !this.d.trading) return;
    const rows = this.d.ledger.ordersWithStatus(["resting"]).filter((r) => r.origin === "bot");
    const ms = msUntilRenewal(rows, this.d.ttlSeconds, this.d.ordersNow(), this.lookedAt);
    this.dueMono = ms === null ? Number.POSITIVE_INFINITY : performance.now() + ms;
  }

  /** Cancels the bot's orders due at the cycle's look (counted into `exec`). Returns the orders cancelled. */
  async cancelDue(exec: ExecSummary): Promise<number> {
    const ttl = this.d.ttlSeconds;
    if (ttl <= 0) return 0;
    const rows = this.d.ledger.ordersWithStatus(["resting"]).filter((r) => r.origin === "bot" && r.orderId);
    const due = dueForRenewal(rows, ttl, this.lookedAt);
    if (due.length === 0) return 0;
    const before = exec.canceled;
    await this.d.om.cancel(
      due.flatMap((r) =>
        r.orderId
          ? [
              {
                kind: "cancel" as const,
                strategy: r.strategy ?? "engine",
                ticker: r.ticker,
                orderId: r.orderId,
                reason: `renewal: expires at ${new Date(r.expiresAt!).toISOString()}, quoted again with a fresh expiry`,
              },
            ]
          : [],
      ),
      exec,
    );
    const n = exec.canceled - before;
    this.d.log("debug", `renewal: ${n} of ${due.length} order(s) past half their ${ttl} s TTL cancelled, to be quoted again`);
    return n;
  }
}
