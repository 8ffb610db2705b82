// Kalshi wire schemas: one import for the client and the local exchange.
//   parse a body:      Market.parse(json)          → integers (Price, Count, Micros, Cents)
//   serialise a body:  z.encode(Market, market)    → Kalshi's strings ("0.5600", "10.00")
export * from "./codecs.ts";
export * from "./rest.ts";
export * from "./ws.ts";
