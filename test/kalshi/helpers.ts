// Test helpers: a throwaway RSA key and a recording HTTP server on 127.0.0.1.
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import type { Server } from "bun";

export interface TestKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  pkcs1Pem: string;
  pkcs8Pem: string;
  publicPem: string;
}

let cached: TestKeys | undefined;
/** One 2048-bit key per test process, generated at run time (never committed). */
export function testKeys(): TestKeys {
  if (cached) return cached;
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  cached = {
    privateKey,
    publicKey,
    pkcs1Pem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    pkcs8Pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
  return cached;
}

export interface Hit {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
}

export type Handler = (req: Request, hit: Hit, n: number) => Response | Promise<Response>;

/** A Bun.serve on an ephemeral 127.0.0.1 port that records every request. */
export class RecordingServer {
  readonly hits: Hit[] = [];
  readonly server: Server<undefined>;
  handler: Handler;

  constructor(handler: Handler) {
    this.handler = handler;
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 30,
      fetch: async (req) => {
        const hit: Hit = { method: req.method, url: new URL(req.url), headers: req.headers, body: await req.text() };
        this.hits.push(hit);
        return this.handler(req, hit, this.hits.length);
      },
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  stop(): void {
    this.server.stop(true);
  }
}

export const json = (body: unknown, status = 200): Response =>
  new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
