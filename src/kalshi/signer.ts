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
 * body, so one signature fits any order to that path. Each is used at most once and only while
 * younger than `maxAgeMs` on the monotonic clock, well inside Kalshi's window (recorded: 5 s old
 * accepted, 30 s refused); `keepReady` re-signs every `maxAgeMs / 2` and right after each use, on
 * a later turn of the event loop.
 */
export class Presigner {
  private readonly ready = new Map<string, { headers: AuthHeaders; madeMono: number }>();
  private readonly kept = new Map<string, [string, string]>();
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Counters for benchmarks and tests: signatures used from the cache, and requests that found none fresh. */
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly keyId: string,
    private readonly key: KeyObject,
    readonly maxAgeMs = 2_000,
    private readonly monoNow: () => number = () => performance.now(),
  ) {}

  /** Sign `method pathname` now for a later request (replacing an older one). */
  prepare(method: string, pathname: string): void {
    this.ready.set(`${method} ${pathname}`, { headers: authHeaders(this.keyId, this.key, method, pathname), madeMono: this.monoNow() });
  }

  /** Whether a signature for `method pathname` waits to be used (fresh or not). */
  isPrepared(method: string, pathname: string): boolean {
    return this.ready.has(`${method} ${pathname}`);
  }

  /** A fresh, unused signature for `method pathname`, or undefined (then sign on the spot). */
  take(method: string, pathname: string): AuthHeaders | undefined {
    const k = `${method} ${pathname}`;
    const e = this.ready.get(k);
    if (e) this.ready.delete(k);
    const fresh = e !== undefined && this.monoNow() - e.madeMono <= this.maxAgeMs;
    if (this.kept.has(k)) {
      if (fresh) this.stats.hits++;
      else this.stats.misses++;
      // Refill after the caller's request has been handed over.
      setTimeout(() => this.kept.has(k) && !this.ready.has(k) && this.prepare(method, pathname), 0);
    }
    return fresh ? e.headers : undefined;
  }

  /** Keep a signature ready for each endpoint until stop(). The timer does not hold the process open. */
  keepReady(endpoints: ReadonlyArray<readonly [method: string, pathname: string]>): void {
    for (const [m, p] of endpoints) {
      this.kept.set(`${m} ${p}`, [m, p]);
      this.prepare(m, p);
    }
    if (this.timer) return;
    this.timer = setInterval(() => {
      for (const [m, p] of this.kept.values()) this.prepare(m, p);
    }, Math.max(1, Math.floor(this.maxAgeMs / 2)));
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.kept.clear();
    this.ready.clear();
  }
}
