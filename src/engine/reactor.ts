// When the daemon runs a reactive pass between cycles (daemon, trade mode, WebSocket books on).
//
//   book update of a watched market whose trusted top of book moved since the last decision
//        → a pass, at once if the last one started ≥ minGapMs ago, else when that much has passed
//   paper: a fill of a paper quote seen on the feed (a cross on a delta, a print at its price)
//        → a pass whose sync point records it (paper's reconciliation), even when nothing moved
//   own fill on the private feed (or a feed gap while connected)
//        → a pass that reconciles over REST first, at most one per reconcileGapMs. Until it ran,
//          book-driven passes leave the filled markets alone (a position the risk gate does not
//          know yet must not be traded on) but go on elsewhere: a fill of a resting order moves
//          collateral already counted into a position, so other markets' limits are unaffected.
//
// The filter runs synchronously on every delta, so it only compares top of book (O(1) per update);
// the pass itself re-checks what moved. Passes run on the daemon's loop, between cycles, never
// concurrently with a cycle or with each other: the loop awaits `wait()`, then runs the pass inline.
// The bounded rate (minGapMs) caps the CPU and the order traffic a busy feed can cause; the risk
// gate's orders-per-minute limit caps the rest.
import type { LiveBooks } from "./live-books.ts";
import { monoNow } from "../ops/clock.ts";

export interface ReactorOptions {
  /** True when `ticker` is watched and its live top moved since the last decision (Engine.moved). */
  moved: (ticker: string) => boolean;
  /** Our own order moved the book of `ticker`: the decision that sent it already accounts for it (Engine.ownMove). */
  ownMove?: (ticker: string) => void;
  /** Paper: no private feed, nothing to reconcile. */
  paper: boolean;
  /** Minimum time between the starts of two passes (default 250 ms). */
  minGapMs?: number;
  /** Minimum time between two reactive REST reconciliations (default 2 s). */
  reconcileGapMs?: number;
  /** The clock the gaps between passes are measured on: monotonic milliseconds (default), or the exchange's. */
  now?: () => number;
  /**
   * False when `now` is a stepped exchange's clock (exchange.clock "stepped"): it moves only by the
   * exchange's frames, so a pass due later on it waits for a frame that moves it (or the next cycle,
   * which covers what is pending), never for this machine's time. Default true.
   */
  clockRuns?: boolean;
  /**
   * Stepped venue driven by a harness: book moves are collected but neither the narrow path nor a
   * pass answers them until `release()` (the harness: every frame of the step is in). A stepped
   * venue's step happens at one instant for a bot's orders (it answers none until the step is over),
   * so answering after the whole step loses nothing, and what is decided then depends on the
   * frames and their order, not on how this machine split them into reads.
   */
  holdUntilReleased?: boolean;
  /**
   * The narrow requote path (Engine.requote), tried before the market is left pending for a pass:
   * "taken" needs no pass for it, "shared" and null do. Tried once the frames that arrived together
   * are all applied (setImmediate after the update), not on the first of them: a sweep through our
   * quote comes as several deltas and our fill, and a decision on the first delta alone would
   * requote an order that the rest show filled. Never for a market with own fills waiting, nor
   * while a reconciliation is wanted, and at most once per minGapMs per market (a busy feed falls
   * back to the bounded passes).
   */
  narrow?: (ticker: string, burstAt: number) => "taken" | "shared" | null;
}

export interface ReactorWork {
  woken: Set<string>;
  reconcile: boolean;
  /** Markets with own fills the ledger does not have yet (empty when this pass reconciles). */
  unreconciled: Set<string>;
  /** ms from the first update that asked for this pass to the pass being handed out. */
  waitedMs: number;
}

export class Reactor {
  private readonly pending = new Set<string>();
  private fillsArrived = false;
  /** Paper: fills of its quotes seen on the feed wait for a pass's sync point (paperFillSeen). */
  private paperFills = false;
  private readonly filled = new Set<string>();
  private firstAskAt: number | null = null;
  private lastPassAt = Number.NEGATIVE_INFINITY;
  private lastReconcileAt = Number.NEGATIVE_INFINITY;
  private kick: (() => void) | null = null;
  private readonly offs: Array<() => void> = [];
  private readonly minGapMs: number;
  private readonly reconcileGapMs: number;
  private readonly now: () => number;
  private readonly clockRuns: boolean;
  /** holdUntilReleased: reactions wait for release() (true), or a release is being answered (false). */
  private holding: boolean;
  /** Releases answered so far (the idle report says so, for the harness). */
  releases = 0;

  constructor(
    private readonly live: LiveBooks,
    private readonly o: ReactorOptions,
  ) {
    this.minGapMs = o.minGapMs ?? 250;
    this.reconcileGapMs = o.reconcileGapMs ?? 2_000;
    this.now = o.now ?? monoNow;
    this.clockRuns = o.clockRuns ?? true;
    this.holding = o.holdUntilReleased ?? false;
    this.offs.push(
      live.onUpdate((ticker, cause, own) => {
        // A stepped clock moved only by frames: a pass waiting for it may be due now.
        if (!this.clockRuns && this.pending.size > 0) this.kick?.();
        if (cause === "trade") return;
        // Our own quote landing is not news: it would only cost a pass (and the debounce gap after
        // it) that finds nothing to do. Unless the market already moved for someone else's reason.
        if (own && !this.pending.has(ticker) && !this.narrowQueue.has(ticker)) {
          this.o.ownMove?.(ticker);
          return;
        }
        if (!this.o.moved(ticker)) return;
        if (this.o.narrow && !this.pending.has(ticker)) {
          if (!this.narrowQueue.has(ticker)) this.narrowQueue.set(ticker, this.live.ws.lastFrameAt);
          if (!this.holding) this.narrowFlush ??= setImmediate(() => this.flushNarrow());
          return;
        }
        this.pending.add(ticker);
        if (!this.holding) this.ask();
      }),
    );
    if (!o.paper) {
      this.offs.push(
        live.onFill((f) => {
          this.fillsArrived = true;
          this.filled.add(f.ticker);
          this.ask();
        }),
      );
    }
  }

  /** When the narrow path last answered each market (monotonic ms). */
  private readonly narrowAt = new Map<string, number>();

  /** Markets moved in the burst of frames being applied, and when the first of those frames arrived (ws.lastFrameAt). */
  private readonly narrowQueue = new Map<string, number>();
  private narrowFlush: ReturnType<typeof setImmediate> | null = null;

  /** The markets that moved in the last burst of frames: the narrow path, else a pass as before. */
  private flushNarrow(): void {
    this.narrowFlush = null;
    const queued = [...this.narrowQueue];
    this.narrowQueue.clear();
    for (const [t, at] of queued) {
      // Moved back within the burst: nothing to decide.
      if (!this.o.moved(t)) continue;
      if (this.tryNarrow(t, at) === "taken") continue;
      this.pending.add(t);
      this.ask();
    }
  }

  private tryNarrow(ticker: string, burstAt: number): "taken" | "shared" | null {
    if (!this.o.narrow || this.closed || this.filled.has(ticker) || this.wantsReconcile()) return null;
    const now = this.now();
    if (now - (this.narrowAt.get(ticker) ?? Number.NEGATIVE_INFINITY) < this.minGapMs) return null;
    const r = this.o.narrow(ticker, burstAt);
    if (r !== null) this.narrowAt.set(ticker, now);
    return r;
  }

  /**
   * Paper: a fill of a resting paper quote was seen on the feed (PaperUpkeep.watchBooks) and waits
   * for the next sync point. Live, the fill on the private feed asks for a pass; paper has nothing to
   * reconcile over REST, but its market still needs one, even when the burst moved its top of book
   * back and the narrow path finds nothing to decide.
   */
  paperFillSeen(): void {
    if (this.closed || !this.o.paper) return;
    this.paperFills = true;
    if (!this.holding) this.ask();
  }

  private ask(): void {
    this.firstAskAt ??= this.now();
    this.kick?.();
  }

  /** A feed gap only matters once the feed is back: while it is down, the cycles reconcile anyway. */
  private wantsReconcile(): boolean {
    return !this.o.paper && (this.fillsArrived || (this.live.fillGap && this.live.ws.connected));
  }

  /**
   * holdUntilReleased: answer the moves collected so far now (the narrow path first, then a pass),
   * and hold again from the next cycle on.
   */
  release(): void {
    if (!this.holding) return;
    this.holding = false;
    this.releases++;
    // The gaps between passes are for a running feed: a release is answered at once.
    this.lastPassAt = this.lastReconcileAt = Number.NEGATIVE_INFINITY;
    this.flushNarrow();
    // One narrow round and one pass answer a release; then moves are held again (take()).
    if (this.pending.size > 0 || this.wantsReconcile() || this.paperFills) this.ask();
    else this.holding = true;
  }

  /** When the next pass may start (ms epoch), or Infinity when nothing asks for one. */
  dueAt(): number {
    let due = Number.POSITIVE_INFINITY;
    if (this.holding) return due;
    if (this.wantsReconcile()) due = Math.max(this.lastPassAt + this.minGapMs, this.lastReconcileAt + this.reconcileGapMs);
    if (this.paperFills) due = Math.min(due, this.lastPassAt + this.minGapMs);
    for (const t of this.pending) {
      if (this.filled.has(t)) continue;
      due = Math.min(due, this.lastPassAt + this.minGapMs);
      break;
    }
    return due;
  }

  /**
   * Wait until a pass is due ("pass"), `untilMs` (monotonic) is reached or `stopped()` turns true ("timeout").
   * `setWake` receives a function that ends the wait early (the signal handler uses it).
   */
  async wait(untilMs: number, stopped: () => boolean, setWake: (w: (() => void) | null) => void): Promise<"pass" | "timeout"> {
    try {
      for (;;) {
        if (stopped()) return "timeout";
        const now = this.now();
        const mono = monoNow();
        if (this.dueAt() <= now) return "pass";
        if (mono >= untilMs) return "timeout";
        // A pass due later on a stepped clock comes with the frame that moves it (the listener kicks).
        const untilPass = this.clockRuns ? this.dueAt() - now : Number.POSITIVE_INFINITY;
        await new Promise<void>((resolve) => {
          // Re-checked at least every second (signals, the cycle's deadline).
          const t = setTimeout(resolve, Math.max(0, Math.min(1_000, untilMs - mono, untilPass)));
          const wake = () => {
            clearTimeout(t);
            this.kick = null;
            resolve();
          };
          this.kick = wake;
          setWake(wake);
        });
      }
    } finally {
      this.kick = null;
      setWake(null);
    }
  }

  /**
   * Nothing asks for a pass and no burst of frames waits for the narrow path. `settling`: a burst
   * is still to be looked at (after the frames being applied: setImmediate).
   */
  idle(): "idle" | "settling" | "due" {
    if (this.narrowFlush !== null || (this.narrowQueue.size > 0 && !this.holding)) return "settling";
    const due = this.dueAt();
    if (due === Number.POSITIVE_INFINITY) return "idle";
    // On a stepped clock a pass due later waits for the exchange: nothing here will run it meanwhile.
    return this.clockRuns || due <= this.now() ? "due" : "idle";
  }

  /** Hand out the work of a due pass and start its gap. */
  take(): ReactorWork {
    const now = this.now();
    // Paper's "reconciliation" is the pass's sync point, which records the fills seen on the feed.
    const reconcile = this.o.paper ? this.paperFills : this.wantsReconcile() && now >= this.lastReconcileAt + this.reconcileGapMs;
    const work: ReactorWork = {
      woken: new Set(this.pending),
      reconcile,
      unreconciled: reconcile ? new Set() : new Set(this.filled),
      waitedMs: this.firstAskAt === null ? 0 : now - this.firstAskAt,
    };
    this.pending.clear();
    this.firstAskAt = null;
    if (reconcile) {
      this.fillsArrived = false;
      this.paperFills = false;
      this.filled.clear();
    } else {
      // Filled markets stay pending: their pass comes with the reconciliation.
      for (const t of work.woken) if (this.filled.has(t)) this.pending.add(t);
      for (const t of this.filled) work.woken.delete(t);
      if (this.pending.size) this.firstAskAt = now;
    }
    this.lastPassAt = now;
    if (reconcile) this.lastReconcileAt = now;
    if (this.o.holdUntilReleased) this.holding = true;
    return work;
  }

  /**
   * A cycle is about to reconcile over REST and decide on every market: fills and moves before this
   * instant are covered by it. (Called before, not after: a fill landing during the cycle, after its
   * reconciliation, must still ask for a pass.)
   */
  cycleStarting(): void {
    this.holding = this.o.holdUntilReleased ?? false;
    this.narrowQueue.clear();
    this.narrowAt.clear();
    this.pending.clear();
    this.firstAskAt = null;
    this.fillsArrived = false;
    this.paperFills = false;
    this.filled.clear();
  }

  private closed = false;

  close(): void {
    this.closed = true;
    if (this.narrowFlush) clearImmediate(this.narrowFlush);
    this.narrowFlush = null;
    this.narrowQueue.clear();
    for (const off of this.offs) off();
    this.offs.length = 0;
    this.kick?.();
  }
}
