// citty colours its help even when piped; plain text for pipes, logs and journald.
if (!process.stdout.isTTY && process.env.NO_COLOR === undefined) process.env.NO_COLOR = "1";
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V" || argv[0] === "version")) {
  // The watchdog timer and cron backups run `--version` every minute: answered before the command
  // layer (citty, consola) is evaluated. A reader gone (`| head -0`) is not an error.
  process.stdout.on("error", () => {});
  try {
    process.stdout.write(`${(await import("./version.ts")).VERSION}\n`);
  } catch {}
} else {
  // Tests only: a shifted wall clock (see src/ops/clock.ts); installed before anything reads the time.
  (await import("./ops/clock.ts")).installTestWallOffset();
  const { main } = await import("./cli/main.ts");
  await main(argv);
}
export {};
