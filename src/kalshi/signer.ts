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
