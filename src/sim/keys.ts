// Throwaway RSA key pairs for local accounts: the embedded exchange and tests generate one at run
// time, so no private key is ever committed.
import { generateKeyPairSync } from "node:crypto";

export interface KeyPairPem {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** A 2048-bit RSA pair in the PEM forms Kalshi hands out (PKCS#1 private, SPKI public). */
export function generateKeyPair(bits = 2048): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: bits,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}
