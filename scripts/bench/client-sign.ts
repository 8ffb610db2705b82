// Cost of signing one request (RSA-PSS SHA-256, 2048-bit key): the whole authHeaders call.
import { generateKeyPairSync } from "node:crypto";
import { authHeaders } from "../../src/kalshi/signer.ts";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const n = 2000;
for (let i = 0; i < 100; i++) authHeaders("bench-key", privateKey, "GET", "/trade-api/v2/portfolio/orders");
const t0 = performance.now();
for (let i = 0; i < n; i++) authHeaders("bench-key", privateKey, "POST", "/trade-api/v2/portfolio/events/orders");
const ms = performance.now() - t0;
console.log(
  `signing: ${((ms / n) * 1000).toFixed(0)} µs per request (${Math.round((n / ms) * 1000).toLocaleString("en-US")} signatures/s, 2048-bit RSA-PSS)`,
);
