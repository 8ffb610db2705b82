// Live trading with `autonomous_mode: false` on a real terminal (a pty through script(1)), through
// the binary against the local exchange on 127.0.0.1: every order is shown and confirmed before it
// is sent. Declining sends nothing; accepting sends what was accepted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BIN, childEnv, cleanup, ensureBinary, tempDir } from "../helpers/bin.ts";
import { exchangeAccount, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

/** Run one live cycle in a pty, pressing `key` every 800 ms (at most 15 times); the terminal text. */
async function onceInTerminal(dir: string, cfg: string, key: string): Promise<{ code: number; text: string }> {
  const proc = Bun.spawn(["script", "-qec", `${BIN} --config ${cfg} --mode trade --once --skip-setup-wizard`, "/dev/null"], {
    cwd: dir,
    env: childEnv({ CI: undefined, TERM: "xterm" }),
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  const killer = setTimeout(() => proc.kill("SIGKILL"), 40_000);
  const out = new Response(proc.stdout).text();
  for (let i = 0; i < 15 && proc.exitCode === null; i++) {
    await Bun.sleep(800);
    try {
      proc.stdin.write(key);
      await proc.stdin.flush();
    } catch {
      break;
    }
  }
  try {
    proc.stdin.end();
  } catch {}
  const code = await proc.exited;
  clearTimeout(killer);
  // The prompt is drawn with escape sequences and cursor moves instead of spaces: compare without both.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the ANSI escapes the prompt draws with
  const text = (await out).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\s+/g, "");
  return { code, text };
}

describe.skipIf(!Bun.which("script"))("live orders confirmed on a terminal (autonomous_mode false)", () => {
  for (const [key, answer] of [
    ["n", "declined"],
    ["y", "accepted"],
  ] as const) {
    test(`each order is asked for; ${answer} → ${answer === "declined" ? "nothing reaches the exchange" : "the orders are sent"}`, async () => {
      const dir = tempDir(`e2e-confirm-${answer}`);
      const v = await startVenue(dir, { seed: 71 });
      try {
        // The temperature series that closes last: the market maker quotes nothing within
        // stop_before_close_minutes (30) of a close, and the first one closes 15 min after the start.
        const latest = [...v.sim.exchange.markets.values()]
          .filter((m) => m.ticker.startsWith("KXHIGH"))
          .sort((a, b) => b.closeMs - a.closeMs)[0]!;
        const series = latest.ticker.split("-")[0]!;
        const cfg = writeBotConfig(dir, v, { trading: { autonomous_mode: false, non_interactive: false, series_tickers: [series] } });
        const r = await onceInTerminal(dir, cfg, key);
        expect(r.code, r.text.slice(-2000)).toBe(0);
        const asked = r.text.split("SendthisLIVEorder?").length - 1;
        expect(asked).toBeGreaterThan(0);
        const sent = exchangeAccount(v).orders.length;
        if (answer === "declined") {
          expect(sent).toBe(0);
          expect(r.text).toContain("0placed");
        } else {
          expect(sent).toBeGreaterThan(0);
          expect(sent).toBeLessThanOrEqual(asked);
        }
      } finally {
        await v.stop();
      }
    }, 60_000);
  }
});
