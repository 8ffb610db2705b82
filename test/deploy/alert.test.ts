// kalshi-bot-alert (OnFailure= handler): a critical journal line always, the webhook when configured
// (posted to a local server on 127.0.0.1 here), ALERT_COMMAND when configured, and a non-zero exit
// when a configured channel fails, so `systemctl status kalshi-bot-alert@…` shows the failure.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, run, tempDir } from "./helpers.ts";

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

  test.skipIf(!hasHttpClient)("posts {\"text\": …} as JSON to ALERT_WEBHOOK_URL, quotes escaped", async () => {
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
});
