// Baked in by scripts/build.ts (`define`); read from package.json when running from source.
import pkg from "../package.json" with { type: "json" };
declare const KALSHI_BOT_VERSION: string | undefined;
export const VERSION: string = typeof KALSHI_BOT_VERSION === "string" ? KALSHI_BOT_VERSION : pkg.version;
