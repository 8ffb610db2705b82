// kalshi-bot-alert (OnFailure= handler): a critical journal line always, the webhook when configured
// (posted to a local server on 127.0.0.1 here), ALERT_COMMAND when configured, and a non-zero exit
// when a configured channel fails, so `systemctl status kalshi-bot-alert@…` shows the failure.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, exists, run, tempDir } from "./helpers.ts";

const script = join(REPO, "deploy/systemd/kalshi-bot-alert.sh");
const hasHttpClient = run(["sh", "-c", "command -v curl || command -v wget"]).code === 0;
const received: { body: string; type: string | null }[] = [];
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    received.push({ body: await req.text(), type: req.headers.get("content-type") });
    return new Response("ok");
  },
});
afterAll(() => server.stop(true));

/** Async spawn: the webhook server lives in this process, so the event loop must keep running. */
async function runAsync(cmd: string[], env: Record<string, string> = {}) {
  const p = Bun.spawn(cmd, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

describe("kalshi-bot-alert", () => {
  test("always logs one critical line naming the unit and how to see its journal", () => {
    const r = run(["sh", script, "kalshi-bot.service"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^<2>kalshi-bot ALERT on .+: kalshi-bot\.service failed.*journalctl -u kalshi-bot\.service/);
  });

  test.skipIf(!hasHttpClient)('posts {"text": …} as JSON to ALERT_WEBHOOK_URL, quotes escaped', async () => {
    const r = await runAsync(["sh", script, 'kalshi-bot@"odd".service'], { ALERT_WEBHOOK_URL: `http://127.0.0.1:${server.port}/hook` });
    expect(r.code).toBe(0);
    expect(received).toHaveLength(1);
    expect(received[0]!.type).toContain("application/json");
    const body = JSON.parse(received[0]!.body);
    expect(body.text).toContain('kalshi-bot@"odd".service failed');
  });

  test("a failing webhook or command makes the alert unit fail (visible), the journal line still written", () => {
    const dir = tempDir("kb-alert-");
    const cmd = join(dir, "page-me");
    writeFileSync(cmd, `#!/bin/sh\necho "$1" > ${join(dir, "got")}\nexit 0\n`);
    chmodSync(cmd, 0o755);
    const ok = run(["sh", script, "kalshi-bot-backup.service"], { env: { ALERT_COMMAND: cmd } });
    expect(ok.code).toBe(0);
    expect(readFileSync(join(dir, "got"), "utf8")).toContain("kalshi-bot-backup.service failed");
    const bad = run(["sh", script, "kalshi-bot.service"], { env: { ALERT_WEBHOOK_URL: "http://127.0.0.1:9/nothing-listens" } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("<2>kalshi-bot ALERT");
  });

  /** A state directory holding the watchdog's memory (as `kalshi-bot watchdog` writes it) and a heartbeat. */
  function stateDir(state: Record<string, unknown> | null, hb: Record<string, unknown> | null = null): string {
    const d = tempDir("kb-alert-state-");
    mkdirSync(join(d, "reports"), { recursive: true });
    if (state) writeFileSync(join(d, "reports/watchdog-state.json"), JSON.stringify(state, null, 2) + "\n");
    if (hb) writeFileSync(join(d, "reports/heartbeat.json"), JSON.stringify(hb, null, 2) + "\n");
    return d;
  }
  const wdState = (alert: string, reason: string, message = "") => ({
    healthy: alert === "recovered" || alert === "none",
    problem: "down",
    reason,
    since: "2026-12-04T10:00:00.000Z",
    checked_at: "2026-12-04T10:10:00.000Z",
    alert,
    message,
  });

  test("a failed watchdog run carries the watchdog's reason (quotes and backslashes intact)", () => {
    const d = stateDir(wdState("unhealthy", 'heartbeat is stale: last update 61m ago; "quoted" and a \\ backslash'));
    const r = run(["sh", script, "kalshi-bot-watchdog.service"], { env: { KALSHI_BOT_STATE_DIR: d } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("<2>kalshi-bot ALERT on");
    expect(r.stderr).toContain("kalshi-bot-watchdog.service failed");
    expect(r.stderr).toContain(': heartbeat is stale: last update 61m ago; "quoted" and a \\ backslash. See: journalctl');
  });

  test("the same problem again (alert: repeat) is logged, not posted", () => {
    const d = tempDir("kb-alert-cmd-");
    const cmd = join(d, "page-me");
    writeFileSync(cmd, `#!/bin/sh\necho "$1" >> ${join(d, "got")}\n`);
    chmodSync(cmd, 0o755);
    const s = stateDir(wdState("repeat", "heartbeat is stale: last update 70m ago"));
    const r = run(["sh", script, "kalshi-bot-watchdog.service"], { env: { KALSHI_BOT_STATE_DIR: s, ALERT_COMMAND: cmd } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^<5>kalshi-bot-alert: kalshi-bot-watchdog\.service failed again with the same problem \(since 2026-12-04T10:00:00\.000Z\), alerted then; not posting again/,
    );
    expect(r.stderr).not.toContain("ALERT on");
    expect(exists(join(d, "got"))).toBe(false);
  });

  test("--recovered posts the recovery message only when that watchdog run saw the bot recover", () => {
    const d = tempDir("kb-alert-cmd-");
    const cmd = join(d, "page-me");
    writeFileSync(cmd, `#!/bin/sh\necho "$1" >> ${join(d, "got")}\n`);
    chmodSync(cmd, 0o755);
    const quiet = run(["sh", script, "--recovered", "kalshi-bot-watchdog.service"], {
      env: { KALSHI_BOT_STATE_DIR: stateDir(wdState("none", "active")), ALERT_COMMAND: cmd },
    });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe("");
    expect(exists(join(d, "got"))).toBe(false);
    const msg = "kalshi-bot on vps: recovered after 12 min (was: heartbeat is stale); now active, cycle 3";
    const rec = run(["sh", script, "--recovered", "kalshi-bot-watchdog.service"], {
      env: { KALSHI_BOT_STATE_DIR: stateDir(wdState("recovered", "active, cycle 3", msg)), ALERT_COMMAND: cmd },
    });
    expect(rec.code).toBe(0);
    expect(rec.stderr).toBe(`<5>${msg}\n`);
    expect(readFileSync(join(d, "got"), "utf8")).toBe(`${msg}\n`);
  });

  test("a failed bot unit without a journal to read carries the heartbeat's last_error", () => {
    const s = stateDir(null, { status: "error", last_error: "exchange refused the key (401)" });
    const r = run(["sh", script, "kalshi-bot.service"], { env: { KALSHI_BOT_STATE_DIR: s } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("kalshi-bot.service failed");
    expect(r.stderr).toContain("exchange refused the key (401)");
  });

  test("a failed bot unit whose error line reaches the journal after the alert started still carries that line", () => {
    // systemctl and journalctl stand-ins (the system's tools, not ours): journald stores the failed
    // run's lines on its own schedule, here its error line only from the third look on.
    const d = tempDir("kb-alert-late-");
    const bin = join(d, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "systemctl"), `#!/bin/sh\ncase "$*" in *InvocationID*) echo inv-1 ;; esac\n`);
    writeFileSync(
      join(bin, "journalctl"),
      [
        "#!/bin/sh",
        `n=$(cat ${join(d, "looks")} 2>/dev/null || echo 0)`,
        'case "$*" in',
        `  *"-p err"*) n=$((n + 1)); echo "$n" > ${join(d, "looks")}; [ "$n" -ge 3 ] && echo "live trading refused: dry_run is false and autonomous_mode is false" ;;`,
        '  *) echo "starting kalshi-bot" ;;',
        "esac",
        "",
      ].join("\n"),
    );
    chmodSync(join(bin, "systemctl"), 0o755);
    chmodSync(join(bin, "journalctl"), 0o755);
    const r = run(["sh", script, "kalshi-bot.service"], { env: { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}` } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("kalshi-bot.service failed");
    expect(r.stderr).toContain(": live trading refused: dry_run is false and autonomous_mode is false. See: journalctl");
  });
});
