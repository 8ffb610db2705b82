// Preloaded by bun test: deterministic environment for every test file.
process.env.NO_COLOR = "1";
process.env.TZ = "UTC";
delete process.env.BOT_DISABLE_TRADING;
delete process.env.KALSHI_API_KEY_ID;
delete process.env.KALSHI_PRIVATE_KEY_PATH;
