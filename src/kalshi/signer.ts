// Kalshi request signing: RSA-PSS, SHA-256, MGF1-SHA-256, salt length 32 (the digest length),
// over `timestamp_ms + METHOD + pathname`. The pathname includes /trade-api/v2 and never the query
// string or the body. The client signs with it; the local exchange verifies with it.
import { constants, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";

export const HEADER_KEY = "KALSHI-ACCESS-KEY";
export const HEADER_TIMESTAMP = "KALSHI-ACCESS-TIMESTAMP";
export const HEADER_SIGNATURE = "KALSHI-ACCESS-SIGNATURE";

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } as const;

/** The exact string Kalshi signs. `pathOrUrl` may carry a query; it is dropped here. */
export function signingMessage(timestampMs: string | number, method: string, pathOrUrl: string): string {
  const q = pathOrUrl.indexOf("?");
  const path = q >= 0 ? pathOrUrl.slice(0, q) : pathOrUrl;
  const pathname = path.startsWith("http") ? new URL(path).pathname : path;
  return `${timestampMs}${method.toUpperCase()}${pathname}`;
}

export function signMessage(key: KeyObject, message: string): string {
  return sign("sha256", Buffer.from(message, "utf8"), { key, ...PSS }).toString("base64");
}

export function verifyMessage(publicKey: KeyObject, message: string, signatureB64: string): boolean {
  try {
    return verify("sha256", Buffer.from(message, "utf8"), { key: publicKey, ...PSS }, Buffer.from(signatureB64, "base64"));
  } catch {
    return false;
  }
}

export interface AuthHeaders {
  [HEADER_KEY]: string;
  [HEADER_TIMESTAMP]: string;
  [HEADER_SIGNATURE]: string;
}

export function authHeaders(keyId: string, key: KeyObject, method: string, pathOrUrl: string, nowMs = Date.now()): AuthHeaders {
  const ts = String(nowMs);
  return {
    [HEADER_KEY]: keyId,
    [HEADER_TIMESTAMP]: ts,
    [HEADER_SIGNATURE]: signMessage(key, signingMessage(ts, method, pathOrUrl)),
  };
}

/** Parse PEM text (PKCS#1 or PKCS#8) into a key object; the text itself is not kept. */
export function privateKeyFromPem(pem: string | Buffer): KeyObject {
  return createPrivateKey({ key: pem, format: "pem" });
}

export function publicKeyFromPem(pem: string | Buffer): KeyObject {
  return createPublicKey({ key: pem, format: "pem" });
}

/** A short, non-secret label for a key id, safe for logs: first 4 characters only. */
export function redactKeyId(keyId: string | undefined): string {
  if (!keyId) return "(none)";
  return keyId.length <= 4 ? "****" : `${keyId.slice(0, 4)}…`;
}

/**
 * Signatures made ahead of time for hot endpoints (order create), so the RSA work (~1 ms) is off the
 * path from a book update to the order leaving. Kalshi signs timestamp + method + path, never the
 * body, so one signature fits any order to that path. Each is used at most once (timestamps are
 * distinct per path) and only while younger than `maxAgeMs` on the monotonic clock, well inside
 * Kalshi's window (recorded: 5 s old accepted, 30 s refused). `keepReady` holds `depth` of them per
 * endpoint (a market maker sends a bid and an ask in one turn), re-signs those past half their life
 * every `maxAgeMs / 2`, and tops up after each use on later turns of the event loop, one signature a turn.
 */
export class Presigner {
  private readonly ready = new Map<string, Array<{ headers: AuthHeaders; madeMono: number }>>();
  private readonly kept = new Map<string, { method: string; pathname: string; depth: number }>();
  private readonly lastTs = new Map<string, number>();
  /** Endpoints kept per group (keepGroup), so a group's next list can drop what left it. */
  private readonly groups = new Map<string, Set<string>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private refillQueued = false;
  /** Counters for benchmarks and tests: signatures used from the cache, and requests that found none fresh. */
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly keyId: string,
    private readonly key: KeyObject,
    readonly maxAgeMs = 2_000,
    private readonly monoNow: () => number = () => performance.now(),
  ) {}

  /** Sign `method pathname` now for a later request (one more in the queue for that endpoint). */
  prepare(method: string, pathname: string): void {
    const k = `${method} ${pathname}`;
    const ts = Math.max(Date.now(), (this.lastTs.get(k) ?? 0) + 1);
    this.lastTs.set(k, ts);
    const list = this.ready.get(k) ?? [];
    list.push({ headers: authHeaders(this.keyId, this.key, method, pathname, ts), madeMono: this.monoNow() });
    this.ready.set(k, list);
  }

  /** How many signatures for `method pathname` wait to be used (fresh or not). */
  prepared(method: string, pathname: string): number {
    return this.ready.get(`${method} ${pathname}`)?.length ?? 0;
  }

  /** A fresh, unused signature for `method pathname`, or undefined (then sign on the spot). */
  take(method: string, pathname: string): AuthHeaders | undefined {
    const k = `${method} ${pathname}`;
    const list = this.ready.get(k);
    let got: AuthHeaders | undefined;
    while (list?.length && got === undefined) {
      const e = list.shift()!;
      if (this.monoNow() - e.madeMono <= this.maxAgeMs) got = e.headers;
    }
    if (this.kept.has(k)) {
      if (got) this.stats.hits++;
      else this.stats.misses++;
      this.queueRefill();
    }
    return got;
  }

  /** Keep `depth` signatures ready for each endpoint until stop(). The timer does not hold the process open. */
  keepReady(endpoints: ReadonlyArray<readonly [method: string, pathname: string, depth?: number]>): void {
    for (const [method, pathname, depth = 1] of endpoints) this.kept.set(`${method} ${pathname}`, { method, pathname, depth });
    this.refill();
    this.startTimer();
  }

  /**
   * Keep one signature ready for each of `endpoints`, replacing what `group` kept before: paths that
   * name an order (amend, cancel) change as orders come and go. Those no longer listed are dropped
   * with their signatures; new ones are signed on later turns of the event loop, one a turn (never
   * in one block: the caller is on the hot path).
   */
  keepGroup(group: string, endpoints: ReadonlyArray<readonly [method: string, pathname: string]>): void {
    const next = new Set(endpoints.map(([m, p]) => `${m} ${p}`));
    for (const k of this.groups.get(group) ?? []) {
      if (next.has(k)) continue;
      this.kept.delete(k);
      this.ready.delete(k);
      this.lastTs.delete(k);
    }
    for (const [method, pathname] of endpoints) this.kept.set(`${method} ${pathname}`, { method, pathname, depth: 1 });
    this.groups.set(group, next);
    this.startTimer();
    this.queueRefill();
  }

  private startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.queueRefill(), Math.max(1, Math.floor(this.maxAgeMs / 4)));
    this.timer.unref?.();
  }

  /**
   * After the caller's request has been handed over (setImmediate: before timers, after I/O), one
   * signature per turn of the event loop: a book update arriving meanwhile waits for one RSA
   * signature (~1 ms) at most, never for a whole refill (8 of them every second, in one block, was
   * a delay on the path this exists to shorten).
   */
  private queueRefill(): void {
    if (this.refillQueued) return;
    this.refillQueued = true;
    setImmediate(() => {
      this.refillQueued = false;
      if (this.refillOne()) this.queueRefill();
    });
  }

  /**
   * Sign one missing signature; true when more are missing. Those past half their life are replaced
   * (so a request never meets one close to the limit), each only once its successor exists: until
   * then it is still good to use.
   */
  private refillOne(): boolean {
    let signed = false;
    for (const [k, { method, pathname, depth }] of this.kept) {
      if (this.young(k) >= depth) continue;
      if (signed) return true;
      this.prepare(method, pathname);
      signed = true;
      const list = this.ready.get(k)!;
      while (list.length > depth && this.monoNow() - list[0]!.madeMono > this.maxAgeMs / 2) list.shift();
      if (this.young(k) < depth) return true;
    }
    return false;
  }

  /** Signatures for `k` in the first half of their life. */
  private young(k: string): number {
    const now = this.monoNow();
    let n = 0;
    for (const e of this.ready.get(k) ?? []) if (now - e.madeMono <= this.maxAgeMs / 2) n++;
    return n;
  }

  private refill(): void {
    for (const { method, pathname, depth } of this.kept.values())
      while (this.prepared(method, pathname) < depth) this.prepare(method, pathname);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.kept.clear();
    this.ready.clear();
    this.groups.clear();
  }
}
