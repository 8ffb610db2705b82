// The calendar the binary-level tests run at, so no result depends on the day the suite runs. A
// pinned clock shifts the wall clock of every child spawned while it is held (the hidden test hook
// KALSHI_BOT_TEST_WALL_OFFSET_FILE, handed to each spawn through setSpawnDefaults): the bot, and a
// `kalshi-bot sim` or the bot's embedded exchange alike, so both sides agree on the date. An
// exchange in the test process checks signatures against `now` (SimServerOptions.wallNow).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { TEST_WALL_OFFSET_ENV } from "../../src/ops/clock.ts";
import { setSpawnDefaults } from "./bin.ts";

/** Tuesday 24 Nov 2026, 14:00 UTC (09:00 in New York): the default date of every e2e. */
export const E2E_START_MS = Date.UTC(2026, 10, 24, 14, 0, 0);

export interface PinnedClock {
  /** The offset file children read (ms added to their wall clock). */
  file: string;
  /** Milliseconds from true time to the children's wall clock as last set. */
  offsetMs(): number;
  /** The children's wall clock now. */
  now(): number;
  /** Set the children's wall clock to `ms` now (a running child re-reads the file within 100 ms). */
  set(ms: number): void;
  /** Children spawned from now on are no longer shifted by this clock. */
  release(): void;
}

const held: PinnedClock[] = [];
const apply = () => {
  const top = held.at(-1);
  setSpawnDefaults(top ? { [TEST_WALL_OFFSET_ENV]: top.file } : {});
};

/** From now on children see `atMs` as their wall time now, and time runs on from there. The last pinned clock wins. */
export function pinChildClock(dir: string, atMs: number = E2E_START_MS): PinnedClock {
  const file = join(dir, ".wall-offset-ms");
  let offset = 0;
  const c: PinnedClock = {
    file,
    offsetMs: () => offset,
    now: () => Date.now() + offset,
    set(ms) {
      offset = ms - Date.now();
      writeFileSync(file, String(offset));
    },
    release() {
      const i = held.indexOf(c);
      if (i >= 0) held.splice(i, 1);
      apply();
    },
  };
  c.set(atMs);
  held.push(c);
  apply();
  return c;
}

/** Output without the one line a child prints when its clock is pinned (for "exactly one line" checks). */
export function withoutClockNotice(text: string): string {
  return text
    .split("\n")
    .filter((l) => !l.includes(`${TEST_WALL_OFFSET_ENV} is set`))
    .join("\n");
}
