// citty colours its help even when piped; plain text for pipes, logs and journald.
if (!process.stdout.isTTY && process.env.NO_COLOR === undefined) process.env.NO_COLOR = "1";
// Tests only: a shifted wall clock (see src/ops/clock.ts); installed before anything reads the time.
(await import("./ops/clock.ts")).installTestWallOffset();
const { main } = await import("./cli/main.ts");
await main(process.argv.slice(2));
export {};
