// The setup wizard through the compiled binary in a real terminal (a pty from script(1)), writing a
// live demo config: a key id that is not a UUID is refused and asked again; the risk limits are
// shown before the live config is written, and changing one reaches the file. Each answer is typed
// only once its question is on the screen.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import { BIN, childEnv, cleanup, ensureBinary, tempDir } from "../helpers/bin.ts";
import { until } from "../helpers/until.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const KEY_ID = "0f1e2d3c-4b5a-4697-8877-665544332211";
// The screen without colours and cursor moves, to look for a question's text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the ESC that starts a terminal escape sequence is what is matched
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
const count = (hay: string, needle: string) => hay.split(needle).length - 1;

describe("setup wizard, live config, through a pty", () => {
  test.skipIf(!Bun.which("script"))(
    "key id checked as a UUID; risk limits shown and changed before writing",
    async () => {
      const d = tempDir("setup-live-");
      const cfg = join(d, "cfg.json");
      const key = join(d, "kalshi.pem");
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      writeFileSync(key, privateKey.export({ type: "pkcs8", format: "pem" }) as string, { mode: 0o600 });
      chmodSync(key, 0o600);
      // A pty starts 0 columns wide, and the prompts would wrap after every character.
      const proc = Bun.spawn(["script", "-qec", `stty cols 200 rows 50; ${BIN} setup --config ${cfg}`, "/dev/null"], {
        cwd: d,
        env: childEnv({ CI: undefined, TERM: "xterm", COLUMNS: "200" }),
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
      });
      let screen = "";
      void (async () => {
        const dec = new TextDecoder();
        for await (const chunk of proc.stdout) screen += plain(dec.decode(chunk, { stream: true }));
      })();
      const killer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
      // Type `keys` once `text` has appeared `n` times on the screen.
      const answer = async (text: string, keys: string, n = 1) => {
        await until(`"${text}" x${n} on the screen; got:\n${screen.slice(-2000)}`, () => count(screen, text) >= n, 20_000, { pollMs: 50 });
        await Bun.sleep(100); // the prompt has drawn; its key handler is on
        proc.stdin.write(keys);
        await proc.stdin.flush();
      };
      try {
        await answer("Which Kalshi environment?", "\x1b[B");
        await answer("demo.kalshi.co", "\r");
        await answer("API key id", "abcd-1234\r");
        await answer("is not a Kalshi key id", `${KEY_ID}\r`);
        await answer("Path to the private key file", `${key}\r`);
        await answer("Dry-run (simulate orders", "n");
        await answer("Enable unattended live trading", "y");
        await answer("Scope: series tickers", "KXHIGHNY\r");
        await answer("Keep these risk limits?", "n");
        await answer("risk.max_order_dollars", "\r");
        await answer("risk.max_contracts_per_order", "\r");
        await answer("risk.max_position_per_market", "\r");
        await answer("risk.max_event_exposure_dollars", "\r");
        await answer("risk.max_total_exposure_dollars", "\r");
        await answer("risk.max_daily_loss_dollars", "7.5\r");
        await answer("risk.max_drawdown_pct", "\r");
        await answer("risk.max_orders_per_minute", "\r");
        const code = await proc.exited;
        expect(code, screen).toBe(0);
      } finally {
        clearTimeout(killer);
        proc.kill();
      }
      // Shown before writing, with the values the config will trade under.
      expect(screen).toContain("Risk limits for live trading (the risk gate refuses any order beyond them):");
      expect(screen).toMatch(/risk\.max_daily_loss_dollars +\$25 +\(loss in a trading day before the bot halts\)/);
      expect(screen).toMatch(/Risk limits to be written:[\s\S]*risk\.max_daily_loss_dollars +\$7\.5 /);
      expect(screen.indexOf("Risk limits for live trading")).toBeLessThan(screen.indexOf("Wrote "));
      expect(count(screen, "API key id")).toBeGreaterThanOrEqual(2);
      const written = JSON.parse(readFileSync(cfg, "utf8"));
      expect(written.exchange).toMatchObject({ environment: "demo", api_key_id: KEY_ID, private_key_path: key });
      expect(written.trading).toMatchObject({ dry_run: false, autonomous_mode: true, non_interactive: true, series_tickers: ["KXHIGHNY"] });
      // Only the limit changed is written; the rest stay the schema's defaults.
      expect(written.risk).toEqual({ max_daily_loss_dollars: "7.5" });
      expect(statSync(cfg).mode & 0o777).toBe(0o600);
    },
    90_000,
  );
});
