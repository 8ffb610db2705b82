// watchdog verdicts, status and setup through the compiled binary.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, realpathSync, statSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, BUN, ROOT, childEnv, cleanup, ensureBinary, runBin, tempDir } from "../helpers/bin.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(cleanup);

function heartbeat(over: Record<string, unknown> = {}) {
  return {
    status: "active",
    updated_at: new Date().toISOString(),
    pid: process.pid, // a live process: a dead PID with a free lock is "not running" (see acceptance-ops)
    version: "0.1.0",
    mode: "trade",
    environment: "sim",
    dry_run: true,
    cycle: 12,
    cycle_interval_seconds: 60,
    next_cycle_at: new Date(Date.now() + 60_000).toISOString(),
    bankroll: { cash_dollars: "900.00", portfolio_value_dollars: "100.00", total_dollars: "1000.00" },
    open_orders: 0,
    last_error: null,
    kill_switch: false,
    rss_bytes: 50_000_000,
    ...over,
  };
}

function folder(hb: unknown | null, config: Record<string, unknown> = {}): string {
  const d = tempDir();
  writeFileSync(join(d, "advanced_config.json"), JSON.stringify(config));
  if (hb !== null) {
    mkdirSync(join(d, "reports"), { recursive: true });
    writeFileSync(join(d, "reports", "heartbeat.json"), typeof hb === "string" ? hb : JSON.stringify(hb));
  }
  return d;
}

describe("watchdog", () => {
  const cases: [string, unknown, Record<string, unknown>, number, RegExp][] = [
    ["healthy", heartbeat(), {}, 0, /^healthy: active, cycle 12/],
    ["missing heartbeat", null, {}, 6, /^unhealthy: heartbeat .* is missing/],
    ["unreadable heartbeat", "{ not json", {}, 6, /^unhealthy: heartbeat .* is not valid JSON/],
    ["malformed heartbeat", { status: "active" }, {}, 6, /^unhealthy: heartbeat .* is malformed/],
    [
      "stale (interval + 120 s)",
      heartbeat({ updated_at: new Date(Date.now() - 181_000).toISOString() }),
      {},
      6,
      /^unhealthy: heartbeat is stale: last update .* \(max 180s\)/,
    ],
    ["fresh within interval + 120 s", heartbeat({ updated_at: new Date(Date.now() - 170_000).toISOString() }), {}, 0, /^healthy/],
    [
      "stale by max_heartbeat_age_seconds",
      heartbeat({ updated_at: new Date(Date.now() - 40_000).toISOString() }),
      { watchdog: { max_heartbeat_age_seconds: 30 } },
      6,
      /stale.*max 30s/,
    ],
    [
      "status halted",
      heartbeat({ status: "halted", last_error: "daily loss limit" }),
      {},
      6,
      /^unhealthy: bot status is halted, not active: daily loss limit/,
    ],
    ["status stopped", heartbeat({ status: "stopped" }), {}, 6, /bot status is stopped/],
    ["status starting", heartbeat({ status: "starting" }), {}, 6, /bot status is starting/],
    ["kill switch", heartbeat({ status: "disabled", kill_switch: true }), {}, 6, /^unhealthy: trading is disabled by the kill switch/],
    [
      "bankroll below minimum",
      heartbeat(),
      { watchdog: { min_bankroll_dollars: "1000.01" } },
      6,
      /^unhealthy: bankroll \$1000\.00 is below the minimum \$1000\.01/,
    ],
    ["bankroll exactly at minimum", heartbeat(), { watchdog: { min_bankroll_dollars: "1000" } }, 0, /^healthy/],
    ["bankroll unknown with a minimum", heartbeat({ bankroll: null }), { watchdog: { min_bankroll_dollars: "10" } }, 6, /bankroll unknown/],
    [
      "memory above watchdog.max_rss_mb (default 320 MB)",
      heartbeat({ rss_bytes: 400 * 1024 * 1024 }),
      {},
      6,
      /^unhealthy: memory: the bot's resident memory is 400 MB, above 320 MB \(watchdog\.max_rss_mb; PID \d+\); .*manage\.sh restart/,
    ],
    ["memory exactly at watchdog.max_rss_mb", heartbeat({ rss_bytes: 320 * 1024 * 1024 }), {}, 0, /^healthy/],
    [
      "memory above a lowered watchdog.max_rss_mb",
      heartbeat({ rss_bytes: 130 * 1024 * 1024 }),
      { watchdog: { max_rss_mb: 120 } },
      6,
      /memory: .* 130 MB, above 120 MB/,
    ],
    [
      "memory check off (watchdog.max_rss_mb 0)",
      heartbeat({ rss_bytes: 4000 * 1024 * 1024 }),
      { watchdog: { max_rss_mb: 0 } },
      0,
      /^healthy/,
    ],
  ];
  for (const [name, hb, config, code, re] of cases) {
    test(name, async () => {
      const d = folder(hb, config);
      const r = await runBin(["watchdog"], { cwd: d });
      expect(r.code, r.output).toBe(code);
      const line = (code === 0 ? r.stdout : r.stderr).trim();
      expect(line.split("\n")).toHaveLength(1);
      expect(line).toMatch(re);
    });
  }

  test("a bad watchdog.max_rss_mb is refused, naming the key and what it takes", async () => {
    const r = await runBin(["watchdog"], { cwd: folder(heartbeat(), { watchdog: { max_rss_mb: -5 } }) });
    expect(r.code, r.output).toBe(2);
    expect(r.stderr).toMatch(/watchdog\.max_rss_mb: expected 0 \(no memory check\) or a number of MB/);
  });

  test("--json prints the verdict", async () => {
    const d = folder(heartbeat({ status: "halted" }));
    const r = await runBin(["watchdog", "--json"], { cwd: d });
    expect(r.code).toBe(6);
    const v = JSON.parse(r.stdout);
    expect(v.healthy).toBe(false);
    expect(v.code).toBe("status");
    expect(v.status).toBe("halted");
  });

  test("posts the reason to the webhook; a dead webhook is reported but the verdict stands", async () => {
    const got: Array<{ text: string; healthy: boolean; reason: string }> = [];
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: async (req) => {
        got.push(await req.json());
        return new Response("ok");
      },
    });
    try {
      const d = folder(heartbeat({ status: "error", last_error: "exchange unreachable" }), {
        watchdog: { alert_webhook_url: `http://127.0.0.1:${server.port}/hooks/SECRET-TOKEN` },
      });
      const r = await runBin(["watchdog"], { cwd: d });
      expect(r.code).toBe(6);
      expect(got).toHaveLength(1);
      expect(got[0]!.healthy).toBe(false);
      expect(got[0]!.reason).toContain("bot status is error");
      expect(got[0]!.text).toContain("UNHEALTHY");
      // healthy: no post
      const h = folder(heartbeat(), { watchdog: { alert_webhook_url: `http://127.0.0.1:${server.port}/x` } });
      expect((await runBin(["watchdog"], { cwd: h })).code).toBe(0);
      expect(got).toHaveLength(1);
    } finally {
      server.stop(true);
    }
    const dead = folder(heartbeat({ status: "stopped" }), { watchdog: { alert_webhook_url: "http://127.0.0.1:9/hooks/SECRET-TOKEN" } });
    const r = await runBin(["watchdog"], { cwd: dead, timeoutMs: 20_000 });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain("alert webhook http://127.0.0.1:9/… failed");
    expect(r.stderr).toContain("unhealthy: bot status is stopped");
    expect(r.output).not.toContain("SECRET-TOKEN"); // webhook paths are secrets
  }, 30_000);
});

describe("watchdog alerts: one per change of state, one on recovery", () => {
  test("repeated unhealthy runs post once; a different problem posts again; recovery posts once; --no-alert keeps no memory", async () => {
    const got: Array<{ text: string; healthy: boolean }> = [];
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: async (req) => {
        got.push(await req.json());
        return new Response("ok");
      },
    });
    try {
      const url = `http://127.0.0.1:${server.port}/hook`;
      const d = folder(heartbeat({ updated_at: new Date(Date.now() - 3_600_000).toISOString() }), { watchdog: { alert_webhook_url: url } });
      const hbPath = join(d, "reports", "heartbeat.json");
      const statePath = join(d, "reports", "watchdog-state.json");

      // --no-alert (manage.sh health) neither posts nor remembers.
      expect((await runBin(["watchdog", "--no-alert"], { cwd: d })).code).toBe(6);
      expect(got).toHaveLength(0);
      expect(existsSync(statePath)).toBe(false);

      const first = await runBin(["watchdog"], { cwd: d });
      expect(first.code).toBe(6);
      expect(first.stderr.trim()).toMatch(/^unhealthy: heartbeat is stale/);
      expect(got).toHaveLength(1);
      expect(got[0]!.text).toContain("UNHEALTHY: heartbeat is stale");
      const st = JSON.parse(readFileSync(statePath, "utf8"));
      expect(st.alert).toBe("unhealthy");
      expect(st.reason).toContain("heartbeat is stale");

      for (let i = 0; i < 2; i++) {
        const again = await runBin(["watchdog"], { cwd: d });
        expect(again.code).toBe(6); // the verdict is still unhealthy: cron and scripts see it
        expect(again.stderr.trim()).toMatch(/^unhealthy \(unchanged since \S+, alerted then\): heartbeat is stale/);
      }
      expect(got).toHaveLength(1);
      expect(JSON.parse(readFileSync(statePath, "utf8")).alert).toBe("repeat");

      // A different problem is news.
      writeFileSync(hbPath, JSON.stringify(heartbeat({ status: "halted", last_error: "daily loss limit" })));
      expect((await runBin(["watchdog"], { cwd: d })).code).toBe(6);
      expect(got).toHaveLength(2);
      expect(got[1]!.text).toContain("bot status is halted");

      // Healthy again: one recovery message naming what it recovered from, then silence.
      writeFileSync(hbPath, JSON.stringify(heartbeat()));
      const rec = await runBin(["watchdog"], { cwd: d });
      expect(rec.code).toBe(0);
      expect(rec.stdout).toMatch(/^healthy \(recovered; /);
      expect(got).toHaveLength(3);
      expect(got[2]!.healthy).toBe(true);
      expect(got[2]!.text).toMatch(/recovered after \d+s \(was: bot status is halted, not active: daily loss limit/);
      expect(JSON.parse(readFileSync(statePath, "utf8")).alert).toBe("recovered");
      const quiet = await runBin(["watchdog"], { cwd: d });
      expect(quiet.code).toBe(0);
      expect(quiet.stdout).toMatch(/^healthy: active/);
      expect(got).toHaveLength(3);
      expect(JSON.parse(readFileSync(statePath, "utf8")).alert).toBe("none");
    } finally {
      server.stop(true);
    }
  }, 60_000);

  test("a bot that dies is one problem: not running, then stale, alerts once", async () => {
    const got: unknown[] = [];
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: async (req) => {
        got.push(await req.json());
        return new Response("ok");
      },
    });
    try {
      // A PID that has exited and a lock nobody holds: "not running" while the heartbeat is fresh.
      const dead = Bun.spawnSync(["true"]).pid;
      const d = folder(heartbeat({ pid: dead }), {
        watchdog: { alert_webhook_url: `http://127.0.0.1:${server.port}/hook` },
        paths: { lock_file: "bot.lock" },
      });
      const r1 = await runBin(["watchdog"], { cwd: d });
      expect(r1.code).toBe(6);
      expect(r1.stderr).toContain("the bot is not running");
      writeFileSync(
        join(d, "reports", "heartbeat.json"),
        JSON.stringify(heartbeat({ pid: dead, updated_at: new Date(Date.now() - 3_600_000).toISOString() })),
      );
      const r2 = await runBin(["watchdog"], { cwd: d });
      expect(r2.code).toBe(6);
      expect(r2.stderr).toMatch(/^unhealthy \(unchanged since .*heartbeat is stale/);
      expect(got).toHaveLength(1);
    } finally {
      server.stop(true);
    }
  }, 30_000);
});

describe("status", () => {
  test("from an empty folder: a clear message, exit 0", async () => {
    const d = tempDir();
    const r = await runBin(["status", "--lock-file", join(d, "bot.lock")], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("no heartbeat");
    // Absolute, so the line means the same file whatever folder status was run from.
    expect(r.stdout).toContain(`Database:   none yet at ${join(realpathSync(d), "data", "kalshi.sqlite")} `);
  });

  test("with a heartbeat and a ledger: positions, open orders, today's fees, last cycles (text and --json)", async () => {
    const d = folder(heartbeat());
    const db = join(d, "data", "kalshi.sqlite");
    const w = await runBin([join(ROOT, "test/ops/fixtures/writer.ts"), db, "50"], { command: [BUN], cwd: d });
    expect(w.code).toBe(0);
    const { Database } = await import("bun:sqlite");
    const x = new Database(db);
    x.run(
      "INSERT INTO positions(paper, ticker, position, cost_micros, realized_pnl_micros, fees_micros) VALUES (1, 'KXHIGHNY-26NOV24-B50', 1000, 5600000, 120000, 70000)",
    );
    x.run(
      "INSERT INTO orders(client_order_id, paper, ticker, side, price, count, remaining_count, time_in_force, status) VALUES ('c1', 1, 'KXHIGHNY-26NOV24-B50', 'bid', 5600, 500, 500, 'gtc', 'resting')",
    );
    x.run(
      "INSERT INTO orders(client_order_id, paper, ticker, side, price, count, remaining_count, time_in_force, status) VALUES ('c2', 1, 'KXHIGHNY-26NOV24-B50', 'bid', 5500, 500, 0, 'gtc', 'executed')",
    );
    x.run(
      "INSERT INTO fills(fill_id, paper, ticker, side, price, count, fee_micros, is_taker) VALUES ('f1', 1, 'KXHIGHNY-26NOV24-B50', 'bid', 5600, 1000, 70000, 1)",
    );
    x.close();
    const r = await runBin(["status", "--lock-file", join(d, "bot.lock")], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Bot:        active (healthy)");
    expect(r.stdout).toContain("Bankroll:   $1000.00");
    expect(r.stdout).toMatch(/KXHIGHNY-26NOV24-B50\s+10\.00\s+\$5\.60\s+\$0\.12\s+\$0\.07/);
    expect(r.stdout).toContain("resting  c1");
    expect(r.stdout).not.toContain(" c2");
    // The trading day in risk.timezone (America/New_York by default), as `report daily` counts it.
    const day = new Intl.DateTimeFormat("en-CA", { timeZone: "America/New_York" }).format(new Date());
    expect(r.stdout).toContain(`Today:      ${day} in America/New_York (risk.timezone, as kalshi-bot report daily): 1 fill(s), fees $0.07`);
    expect(r.stdout).toMatch(/#\d+\s+\S+\s+trade\s+ok/);
    const j = await runBin(["status", "--json", "--lock-file", join(d, "bot.lock")], { cwd: d });
    const s = JSON.parse(j.stdout);
    expect(s.open_orders).toHaveLength(1);
    expect(s.positions).toHaveLength(1);
    expect(s.today.fees_dollars).toBe("0.07");
    expect(s.last_cycles.length).toBeGreaterThan(0);
  }, 30_000);
});

const KEY_ID = "0f1e2d3c-4b5a-4697-8877-665544332211";

describe("setup wizard", () => {
  test("without a terminal `setup` exits 2 at once instead of hanging on a prompt", async () => {
    const d = tempDir();
    const r = await runBin(["setup"], { cwd: d, timeoutMs: 10_000, stdin: "" });
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("needs an interactive terminal");
  });

  test.skipIf(!Bun.which("script"))(
    "through a real terminal (pty via script(1)): choices and typed text reach the config",
    async () => {
      const d = tempDir();
      const cfg = join(d, "cfg.json");
      const proc = Bun.spawn(["script", "-qec", `${BIN} setup --config ${cfg}`, "/dev/null"], {
        cwd: d,
        env: childEnv({ CI: undefined, TERM: "xterm" }),
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
      });
      const keys = ["\r", "\r", "KXHIGHNY, kxinx\r"]; // sim (default), dry-run yes (default), scope
      for (const k of keys) {
        await Bun.sleep(1200);
        proc.stdin.write(k);
        await proc.stdin.flush();
      }
      const killer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
      await Bun.sleep(1500);
      proc.stdin.end();
      const code = await proc.exited;
      clearTimeout(killer);
      expect(code).toBe(0);
      const written = JSON.parse(readFileSync(cfg, "utf8"));
      expect(written.exchange.environment).toBe("sim");
      expect(written.trading.dry_run).toBe(true);
      expect(written.trading.series_tickers).toEqual(["KXHIGHNY", "KXINX"]);
    },
    30_000,
  );

  test("shouldRunWizard honours every opt-out", async () => {
    const { shouldRunWizard } = await import("../../src/ops/setup-wizard.ts");
    const env = {};
    expect(shouldRunWizard({ stdinIsTTY: true, env })).toBe(process.stdout.isTTY === true);
    expect(shouldRunWizard({ stdinIsTTY: true, skipSetupWizard: true, env })).toBe(false);
    expect(shouldRunWizard({ stdinIsTTY: true, nonInteractive: true, env })).toBe(false);
    expect(shouldRunWizard({ stdinIsTTY: true, configNonInteractive: true, env })).toBe(false);
    expect(shouldRunWizard({ stdinIsTTY: false, env })).toBe(false);
    expect(shouldRunWizard({ stdinIsTTY: true, env: { CI: "true" } })).toBe(false);
  });

  test("runSetupWizard writes a valid config atomically, 0600 when it holds a key id, checking the key file", async () => {
    const { runSetupWizard } = await import("../../src/ops/setup-wizard.ts");
    const d = tempDir();
    const key = join(d, "key.pem");
    const { generateKeyPairSync } = await import("node:crypto");
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(key, privateKey.export({ type: "pkcs8", format: "pem" }) as string, { mode: 0o644 });
    const said: string[] = [];
    const asked: string[] = [];
    const cfgPath = join(d, "advanced_config.json");
    writeFileSync(cfgPath, JSON.stringify({ backup: { keep: 5 } }));
    const scopes = ["kxhighny, bad ticker!", "KXHIGHNY, kxinx"];
    const keyIds = ["abcd-1234", KEY_ID];
    const res = await runSetupWizard(cfgPath, {
      prompt: async (msg, opts) => {
        asked.push(msg);
        if (msg.startsWith("Which Kalshi environment")) return "demo";
        if (msg.startsWith("API key id")) return keyIds.shift();
        if (msg.startsWith("Keep these risk limits")) return false;
        if (msg.startsWith("risk.max_daily_loss_dollars")) return "12.50";
        if (msg.startsWith("risk.max_drawdown_pct"))
          return asked.filter((m) => m.startsWith("risk.max_drawdown_pct")).length === 1 ? "150" : "15";
        if (msg.startsWith("risk.")) return opts.type === "text" ? opts.default : undefined;
        if (msg.startsWith("Path to the private key")) return key;
        if (msg.startsWith("Try another path")) {
          chmodSync(key, 0o600); // the operator fixes the mode, then answers again
          return true;
        }
        if (msg.startsWith("Dry-run")) return false;
        if (msg.startsWith("Enable unattended")) return false;
        if (msg.startsWith("Scope")) return scopes.shift();
        throw new Error(`unexpected prompt: ${msg}`);
      },
      say: (l) => said.push(l),
    });
    expect(said.some((l) => l.includes("readable by group or others"))).toBe(true);
    expect(said.some((l) => l.includes("Not a ticker"))).toBe(true);
    // A key id that is not a UUID is refused with what one looks like, then asked again.
    expect(said).toContain(
      '"abcd-1234" is not a Kalshi key id: those are UUIDs such as 1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d (8-4-4-4-12 hex digits), shown beside the key on kalshi.com → Account → API keys.',
    );
    expect(asked.filter((m) => m.startsWith("API key id"))).toHaveLength(2);
    // The limits were shown before the live config was written; an out-of-range answer was refused.
    expect(said).toContain("Risk limits for live trading (the risk gate refuses any order beyond them):");
    expect(said.some((l) => /^ {2}risk\.max_daily_loss_dollars +\$25 +\(loss in a trading day/.test(l))).toBe(true);
    expect(said.some((l) => l.startsWith("Not a valid risk.max_drawdown_pct:"))).toBe(true);
    const written = JSON.parse(readFileSync(cfgPath, "utf8"));
    expect(written.risk).toEqual({ max_daily_loss_dollars: "12.50", max_drawdown_pct: 15 });
    expect(written.exchange).toMatchObject({ environment: "demo", api_key_id: KEY_ID, private_key_path: key });
    expect(written.trading.series_tickers).toEqual(["KXHIGHNY", "KXINX"]);
    expect(written.backup.keep).toBe(5); // kept
    expect(statSync(cfgPath).mode & 0o777).toBe(0o600);
    expect(res.mode).toBe(0o600);
    expect(asked.filter((m) => m.startsWith("Path to the private key"))).toHaveLength(2);
    expect(written.trading.dry_run).toBe(false);
    expect(written.trading.autonomous_mode).toBe(false);
  });
});
