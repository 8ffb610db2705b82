// Public surface of the Kalshi layer (client, WebSocket, order book, wire schemas, money, keys).
export * from "./client.ts";
export * from "./errors.ts";
export * from "./keys.ts";
export * from "./rate-limit.ts";
export * from "./urls.ts";
export * from "./signer.ts";
export * as wire from "./wire/index.ts";
export * from "./orderbook.ts";
export * from "./ws.ts";
