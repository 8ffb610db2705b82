// Request signatures checked exactly as Kalshi does: RSA-PSS over timestamp + METHOD + pathname
// (no query), a timestamp window, and Kalshi's four 401 bodies. The window follows the recorded
// probes (API.md §2.5): ±5 s accepted, −30 s and ±5 min rejected, +30 s accepted on one surface.
import { HEADER_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP, signingMessage, verifyMessage } from "../kalshi/signer.ts";
import type { Account } from "./accounts.ts";
import * as E from "./errors.ts";

export const MAX_PAST_SKEW_MS = 15_000;
export const MAX_FUTURE_SKEW_MS = 60_000;

export interface AuthHeadersIn {
  get(name: string): string | null;
}

export function hasAuthHeaders(h: AuthHeadersIn): boolean {
  return h.get(HEADER_KEY) !== null || h.get(HEADER_SIGNATURE) !== null || h.get(HEADER_TIMESTAMP) !== null;
}

/** The account a request is signed for, or the SimError Kalshi would answer. `wallNow` is real time. */
export function authenticate(
  h: AuthHeadersIn,
  method: string,
  pathname: string,
  lookup: (keyId: string) => Account | undefined,
  wallNow = Date.now(),
): Account {
  const keyId = h.get(HEADER_KEY);
  const ts = h.get(HEADER_TIMESTAMP);
  const sig = h.get(HEADER_SIGNATURE);
  if (!sig || !keyId || !ts) throw E.authMissing();
  const acct = lookup(keyId);
  if (!acct?.publicKey) throw E.authUnknownKey();
  const t = Number(ts);
  if (!/^\d{10,16}$/.test(ts) || !Number.isFinite(t)) throw E.authBadSignature();
  if (t < wallNow - MAX_PAST_SKEW_MS || t > wallNow + MAX_FUTURE_SKEW_MS) throw E.authExpired();
  if (!verifyMessage(acct.publicKey, signingMessage(ts, method, pathname), sig)) throw E.authBadSignature();
  return acct;
}
