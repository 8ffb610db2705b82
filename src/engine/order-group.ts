// The order-group guard (live trading only). All bot orders go into one order group, created once
// with its id kept in meta, so the exchange itself caps bursts (contracts matched per rolling
// window) and the kill switch can trigger the whole group.
//
// The exchange triggers the group when its contracts limit is matched within the window: it cancels
// the group's orders and rejects new ones until the group is reset. That is the burst cap doing its
// job, but without a reset the bot would never trade again. So: after rejections (or every few
// cycles) the group is read; a trigger that is not our own kill switch's is recorded, trading
// pauses, and after a cool-down of twice the window the group is reset (audited both times).
//
// Meta keys (book-namespaced by the ledger): `order_group_id:<instance>`, `order_group_capped_at:<id>`
// (wall ms of the exchange's trigger, "" when none), `order_group_triggered:<id>` ("1" when our own
// kill switch triggered it).
import type { LoadedConfig } from "../config/load.ts";
import type { KalshiClient } from "../kalshi/client.ts";
import { monoNow } from "../ops/clock.ts";
import type { Ledger } from "./ledger.ts";

/** The exchange's rolling window for order-group contract limits. */
export const ORDER_GROUP_WINDOW_MS = 15_000;
/** How long a group triggered by the exchange stays triggered before the bot resets it. */
const ORDER_GROUP_COOLDOWN_MS = 2 * ORDER_GROUP_WINDOW_MS;

/** Contracts per rolling window for the bot's order group: ten orders' worth of the per-order cap,
 * so a runaway loop is capped by the exchange itself. Whole contracts. */
export function orderGroupLimit(loaded: LoadedConfig): number {
  return Math.max(10, loaded.config.risk.max_contracts_per_order * 10);
}

const idKey = (instanceId: string) => `order_group_id:${instanceId}`;
const cappedKey = (id: string) => `order_group_capped_at:${id}`;
const triggeredKey = (id: string) => `order_group_triggered:${id}`;

export interface OrderGroupDeps {
  ledger: Ledger;
  client: KalshiClient;
  instanceId: string;
  /** Live trading: the only case with an order group (paper and scan have none). */
  active: boolean;
  /** Contracts per window (orderGroupLimit). */
  limit: number;
  /** The group is read every this many cycles (and after rejections). */
  checkEvery: number;
  log: (level: "info" | "warn" | "debug" | "error", msg: string) => void;
  /** The group's id once known: the order manager sends every order into it. */
  onId: (id: string) => void;
}

/** What one check of the group did: requests made, and whether a full reconciliation is due. */
export interface OrderGroupCheck {
  requests: number;
  reconcile: boolean;
}

export class OrderGroupGuard {
  private id: string | null = null;
  /** Set when an order was rejected: the group may have been triggered by the exchange. */
  private suspect = false;
  /** While the exchange's trigger of our group is cooling down (monotonic ms): no orders (they would be rejected). */
  private cappedUntil = 0;
  /** When this process first saw the current trigger (monotonic ms). */
  private cappedSeenAt: number | null = null;

  constructor(private readonly d: OrderGroupDeps) {}

  /** Monotonic ms until which the exchange's trigger cools down (0: none). */
  get cappedUntilMono(): number {
    return this.cappedUntil;
  }

  coolingDown(): boolean {
    return this.cappedUntil > monoNow();
  }

  /** Orders were rejected: the next check reads the group whatever the cycle. */
  noteRejections(rejected: number): void {
    if (rejected > 0) this.suspect = true;
  }

  /** The group, created once and its id kept in meta. Live trading only. */
  async ensure(): Promise<void> {
    if (!this.d.active || this.id) return;
    const key = idKey(this.d.instanceId);
    let id = this.d.ledger.getMeta(key);
    if (!id) {
      const r = await this.d.client.createOrderGroup({ contracts_limit: this.d.limit });
      id = r.order_group_id;
      this.d.ledger.setMeta(key, id);
    }
    this.id = id;
    this.d.onId(id);
  }

  /** Reads the group when due (see the header) and handles an exchange trigger: record, pause, reset. */
  async check(cycleId: number, cycleNo: number): Promise<OrderGroupCheck> {
    const id = this.id;
    if (!id || !this.d.active) return { requests: 0, reconcile: false };
    // First cycle of every process too: a `--once` run must see a trigger an earlier run caused.
    if (!this.suspect && cycleNo !== 1 && cycleNo % this.d.checkEvery !== 0) return { requests: 0, reconcile: false };
    this.suspect = false;
    const { ledger } = this.d;
    const g = await this.d.client.getOrderGroup(id);
    const key = cappedKey(id);
    if (!g.is_auto_cancel_enabled) {
      if (ledger.getMeta(key)) ledger.setMeta(key, "");
      this.cappedUntil = 0;
      this.cappedSeenAt = null;
      return { requests: 1, reconcile: false };
    }
    // Our own trigger (kill switch) is reset where the kill switch is handled.
    if (ledger.getMeta(triggeredKey(id))) return { requests: 1, reconcile: false };
    const now = Date.now();
    const since = Number(ledger.getMeta(key) || 0);
    if (!since) {
      this.recordTrigger(id, cycleId, now);
      return { requests: 1, reconcile: true };
    }
    // The start is persisted in wall time (a --once run must see an earlier run's); a wall clock
    // stepped back must not stretch the pause, so this process's own monotonic view ends it too.
    this.cappedSeenAt ??= monoNow();
    const left = Math.min(ORDER_GROUP_COOLDOWN_MS - (now - since), ORDER_GROUP_COOLDOWN_MS - (monoNow() - this.cappedSeenAt));
    if (left > 0) {
      this.cappedUntil = monoNow() + Math.min(left, ORDER_GROUP_COOLDOWN_MS);
      this.suspect = true;
      return { requests: 1, reconcile: false };
    }
    await this.resetAfterCooldown(id, cycleId, now - since);
    return { requests: 2, reconcile: false };
  }

  private recordTrigger(id: string, cycleId: number, now: number): void {
    this.d.ledger.setMeta(cappedKey(id), String(now));
    this.d.ledger.audit(
      "order_group_cap",
      `order group ${id} hit its contracts limit (${this.d.limit} per ${ORDER_GROUP_WINDOW_MS / 1000} s): the exchange canceled its orders; trading pauses ${ORDER_GROUP_COOLDOWN_MS / 1000} s`,
      { cycleId },
    );
    this.d.log(
      "warn",
      `order group hit its contracts limit: orders canceled by the exchange; pausing ${ORDER_GROUP_COOLDOWN_MS / 1000} s before resetting it`,
    );
    this.cappedUntil = monoNow() + ORDER_GROUP_COOLDOWN_MS;
    this.cappedSeenAt = monoNow();
    this.suspect = true;
  }

  private async resetAfterCooldown(id: string, cycleId: number, pausedMs: number): Promise<void> {
    this.cappedSeenAt = null;
    await this.d.client.resetOrderGroup(id);
    this.d.ledger.setMeta(cappedKey(id), "");
    this.cappedUntil = 0;
    this.d.ledger.audit("order_group_reset", `order group ${id} reset after a ${Math.round(pausedMs / 1000)} s cool-down`, { cycleId });
    this.d.log("info", `order group reset after its cool-down; trading resumes`);
  }

  /** The kill switch's exchange-side half: cancels anything of the group we might not know about yet. */
  async triggerForKillSwitch(): Promise<void> {
    if (!this.id || !this.d.active) return;
    await this.d.client.triggerOrderGroup(this.id).catch((e) => this.d.log("warn", `order group trigger failed: ${(e as Error).message}`));
    this.d.ledger.setMeta(triggeredKey(this.id), "1");
  }

  /** Trading resumes: a group our own kill switch triggered is reset first. */
  async resetOwnTrigger(): Promise<void> {
    if (!this.id || !this.d.ledger.getMeta(triggeredKey(this.id))) return;
    await this.d.client.resetOrderGroup(this.id).catch(() => {});
    this.d.ledger.setMeta(triggeredKey(this.id), "");
  }
}
