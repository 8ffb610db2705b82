// Static checks of the deployment files against the CLI contract: the unit runs the flags and paths
// the bot understands, the installed config template agrees with the unit's state directory, the
// halt exit codes are never restarted, and manage.sh / restore_db.sh fail with clear messages.
import { describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT } from "../../src/errors.ts";
import { CREDENTIAL_KEY_NAME, loadConfig, parseConfigText } from "../../src/config/load.ts";
import { DIST_BINARY, exists, readUnit, REPO, run, tempDir, unitValues } from "./helpers.ts";

const MAIN = readUnit("kalshi-bot.service");
const TEMPLATE = readUnit("kalshi-bot@.service");
const TEMPLATE_JSON = readFileSync(join(REPO, "deploy/config/advanced_config.json"), "utf8");

function execArgs(unit: string): string[] {
  const [exec] = unitValues(unit, "ExecStart");
  expect(exec).toBeDefined();
  return exec!.split(/\s+/);
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

describe("kalshi-bot.service", () => {
  test("ExecStart runs the installed binary in unattended trade mode with config and lock flags", () => {
    const args = execArgs(MAIN);
    expect(args[0]).toBe("/opt/kalshi-bot/kalshi-bot");
    for (const f of ["--non-interactive", "--skip-setup-wizard"]) expect(args).toContain(f);
    expect(flag(args, "--mode")).toBe("trade");
    expect(args).not.toContain("--once");
    expect(flag(args, "--config")).toBe("/etc/kalshi-bot/advanced_config.json");
    expect(flag(args, "--log-format")).toBe("journald");
  });

  test("the lock is in the state directory (never /tmp, which PrivateTmp hides from cron and manual runs)", () => {
    const lock = flag(execArgs(MAIN), "--lock-file")!;
    expect(lock.startsWith("/var/lib/kalshi-bot/")).toBe(true);
    expect(unitValues(MAIN, "StateDirectory")).toEqual(["kalshi-bot"]);
    expect(unitValues(MAIN, "StateDirectoryMode")).toEqual(["0700"]);
    expect(unitValues(MAIN, "PrivateTmp")).toEqual(["yes"]);
  });

  test("halt codes (invalid config, database unusable, risk halt, live refused) are never restarted; others are, with a start limit", () => {
    for (const unit of [MAIN, TEMPLATE]) {
      const codes = unitValues(unit, "RestartPreventExitStatus").join(" ").split(/\s+/).map(Number);
      for (const c of [EXIT.USAGE, EXIT.DATABASE, EXIT.HALTED, EXIT.LIVE_REFUSED]) expect(codes).toContain(c);
      // A database locked by another program, like the exchange, may come back by itself.
      for (const c of [EXIT.EXCHANGE, EXIT.RECONCILE, EXIT.INTERNAL, EXIT.LOCKED, EXIT.DATABASE_BUSY]) expect(codes).not.toContain(c);
    }
    expect(unitValues(MAIN, "Restart")).toEqual(["on-failure"]);
    expect(Number(unitValues(MAIN, "StartLimitBurst")[0])).toBeGreaterThan(0);
    expect(Number(unitValues(MAIN, "StartLimitIntervalSec")[0])).toBeGreaterThan(0);
    expect(unitValues(MAIN, "OnFailure")[0]).toBe("kalshi-bot-alert@%n.service");
  });

  test("the key arrives through LoadCredential under the name the config loader reads", () => {
    expect(unitValues(MAIN, "LoadCredential")).toEqual([`${CREDENTIAL_KEY_NAME}:/etc/kalshi-bot/kalshi.key`]);
    expect(MAIN).not.toMatch(/KALSHI_PRIVATE_KEY_PATH|PRIVATE KEY/);
  });

  test("sandbox: JIT kept (MemoryDenyWriteExecute=no), AF_UNIX allowed for sd_notify, limits set", () => {
    expect(unitValues(MAIN, "MemoryDenyWriteExecute")).toEqual(["no"]);
    expect(unitValues(MAIN, "RestrictAddressFamilies")[0]!.split(" ")).toContain("AF_UNIX");
    expect(unitValues(MAIN, "Type")).toEqual(["notify"]);
    expect(unitValues(MAIN, "WatchdogSec")).toHaveLength(1);
    expect(unitValues(MAIN, "MemoryMax")).toHaveLength(1);
    expect(parseInt(unitValues(MAIN, "TimeoutStopSec")[0]!, 10)).toBeGreaterThanOrEqual(30);
    expect(unitValues(MAIN, "User")).toEqual(["kalshi-bot"]);
    expect(unitValues(MAIN, "UMask")).toEqual(["0077"]);
  });

  test("the daemon runs without JavaScriptCore's optimizing tiers (memory), and the binary accepts the option", () => {
    // Bun refuses to start on a JavaScriptCore option it does not know (exit 1): a Bun upgrade that
    // renamed it would stop the service, so the shipped binary is run with the units' own lines.
    for (const u of [MAIN, TEMPLATE]) {
      const jsc = unitValues(u, "Environment").filter((e) => e.startsWith("BUN_JSC_"));
      expect(jsc).toEqual(["BUN_JSC_useDFGJIT=false"]);
      const env = Object.fromEntries(jsc.map((e) => e.split("=") as [string, string]));
      const r = run([DIST_BINARY, "--version"], { env });
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
      expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
      // A misspelt option is refused, so the check above can fail.
      expect(run([DIST_BINARY, "--version"], { env: { BUN_JSC_useDFGJlT: "false" } }).code).not.toBe(0);
    }
  });

  test("the template unit isolates config, key, state, lock and heartbeat per instance", () => {
    const args = execArgs(TEMPLATE);
    expect(flag(args, "--config")).toBe("/etc/kalshi-bot/%i.json");
    expect(flag(args, "--lock-file")).toBe("/var/lib/kalshi-bot-%i/kalshi-bot.lock");
    expect(unitValues(TEMPLATE, "StateDirectory")).toEqual(["kalshi-bot-%i"]);
    expect(unitValues(TEMPLATE, "LoadCredential")).toEqual([`${CREDENTIAL_KEY_NAME}:/etc/kalshi-bot/%i.key`]);
    // Same hardening and restart policy as the main unit: only the per-instance lines differ.
    const perInstance = new Set([
      "Description",
      "StateDirectory",
      "WorkingDirectory",
      "LoadCredential",
      "Environment",
      "EnvironmentFile",
      "ExecStart",
    ]);
    const keys = new Set(
      MAIN.split("\n")
        .map((l) => l.match(/^([A-Za-z]+)=/)?.[1])
        .filter((k): k is string => !!k && !perInstance.has(k)),
    );
    expect(keys.size).toBeGreaterThan(30);
    for (const k of keys) expect({ k, v: unitValues(TEMPLATE, k) }).toEqual({ k, v: unitValues(MAIN, k) });
  });

  test("every unit file is one of the documented set and every service has an alert path", () => {
    const files = readdirSync(join(REPO, "deploy/systemd"))
      .filter((f) => /\.(service|timer)$/.test(f))
      .sort();
    expect(files).toEqual([
      "kalshi-bot-alert@.service",
      "kalshi-bot-backup.service",
      "kalshi-bot-backup.timer",
      "kalshi-bot-backup@.service",
      "kalshi-bot-backup@.timer",
      "kalshi-bot-watchdog.service",
      "kalshi-bot-watchdog.timer",
      "kalshi-bot-watchdog@.service",
      "kalshi-bot-watchdog@.timer",
      "kalshi-bot.service",
      "kalshi-bot@.service",
    ]);
    for (const f of files.filter((f) => f.endsWith(".service") && !f.startsWith("kalshi-bot-alert"))) {
      expect(unitValues(readUnit(f), "OnFailure")).toEqual(["kalshi-bot-alert@%n.service"]);
    }
    expect(unitValues(readUnit("kalshi-bot-watchdog.service"), "ExecStart")[0]).toContain(
      "/opt/kalshi-bot/kalshi-bot watchdog --config /etc/kalshi-bot/advanced_config.json",
    );
    expect(unitValues(readUnit("kalshi-bot-backup.service"), "ExecStart")[0]).toContain(
      "/opt/kalshi-bot/kalshi-bot --backup --config /etc/kalshi-bot/advanced_config.json",
    );
    expect(unitValues(readUnit("kalshi-bot-backup.service"), "UMask")).toEqual(["0077"]);
  });
});

describe("alerts and the watchdog timeout (issue 9)", () => {
  test("watchdog units post the recovery through the alert channel after a healthy run", () => {
    for (const f of ["kalshi-bot-watchdog.service", "kalshi-bot-watchdog@.service"]) {
      const u = readUnit(f);
      expect(unitValues(u, "ExecStartPost")).toEqual(["-/opt/kalshi-bot/kalshi-bot-alert --recovered %n"]);
      expect(unitValues(u, "EnvironmentFile")).toEqual(["-/etc/kalshi-bot/alert.env"]);
    }
  });

  test("the alert unit may read the failed unit's journal (its reason), nothing more", () => {
    const u = readUnit("kalshi-bot-alert@.service");
    expect(unitValues(u, "SupplementaryGroups")).toEqual(["systemd-journal"]);
    expect(unitValues(u, "ProtectSystem")).toEqual(["strict"]);
  });

  test("a hung bot that ignores the watchdog's SIGABRT is killed within seconds, not TimeoutStopSec", () => {
    for (const f of ["kalshi-bot.service", "kalshi-bot@.service"]) expect(unitValues(readUnit(f), "TimeoutAbortSec")).toEqual(["10s"]);
  });
});

describe("config template (deploy/config/advanced_config.json)", () => {
  test("is valid for the strict schema, dry-run, unattended, with state under /var/lib/kalshi-bot", () => {
    const cfg = parseConfigText(TEMPLATE_JSON, "advanced_config.json");
    expect(cfg.trading.dry_run).toBe(true);
    expect(cfg.trading.autonomous_mode).toBe(false);
    expect(cfg.trading.non_interactive).toBe(true);
    expect(cfg.exchange.environment).toBe("production");
    for (const p of [cfg.paths.database, cfg.paths.backups_dir, cfg.paths.reports_dir, cfg.paths.lock_file, cfg.paths.logs_dir]) {
      expect(String(p).startsWith("/var/lib/kalshi-bot/")).toBe(true);
    }
    // The unit passes the same lock path: manual runs, restore and the service agree on one lock.
    expect(cfg.paths.lock_file).toBe(flag(execArgs(MAIN), "--lock-file")!);
    expect(TEMPLATE_JSON).not.toMatch(/private_key_path|api_key_id/);
  });

  test("loaded as the service loads it, the key comes from $CREDENTIALS_DIRECTORY", () => {
    const dir = tempDir("kb-cred-");
    const etc = join(dir, "etc");
    mkdirSync(etc);
    writeFileSync(join(etc, "advanced_config.json"), TEMPLATE_JSON);
    writeFileSync(join(dir, CREDENTIAL_KEY_NAME), "not read here", { mode: 0o600 });
    const loaded = loadConfig({ configPath: join(etc, "advanced_config.json"), env: { CREDENTIALS_DIRECTORY: dir }, cwd: "/" });
    expect(loaded.privateKeyPath).toBe(join(dir, CREDENTIAL_KEY_NAME));
    expect(loaded.paths.heartbeat).toBe("/var/lib/kalshi-bot/reports/heartbeat.json");
    expect(loaded.paths.database).toBe("/var/lib/kalshi-bot/data/kalshi.sqlite");
  });
});

describe("cron, journald, logrotate", () => {
  test("the cron line is the guide's, adapted: daily 02:00, umask 077, --backup, bot user, no overlap", () => {
    const lines = readFileSync(join(REPO, "deploy/cron/kalshi-bot"), "utf8")
      .split("\n")
      .filter((l) => /^\d/.test(l));
    expect(lines).toHaveLength(1);
    const l = lines[0]!;
    expect(l.startsWith("0 2 * * * kalshi-bot ")).toBe(true);
    expect(l).toContain("umask 077;");
    expect(l).toContain("/opt/kalshi-bot/kalshi-bot --backup --config /etc/kalshi-bot/advanced_config.json");
    expect(l).toContain("flock -n");
    expect(l).toMatch(/>> \/var\/lib\/kalshi-bot\/logs\/backup\.log 2>&1$/);
  });

  test("journald keeps the guide's limits; logrotate covers the file logs", () => {
    const j = readFileSync(join(REPO, "deploy/journald/kalshi-bot.conf"), "utf8");
    expect(j).toContain("[Journal]");
    expect(unitValues(j, "SystemMaxUse")).toEqual(["500M"]);
    expect(unitValues(j, "MaxRetentionSec")).toEqual(["14day"]);
    const r = readFileSync(join(REPO, "deploy/logrotate/kalshi-bot"), "utf8");
    expect(r).toContain("/var/lib/kalshi-bot/logs/*.log");
    expect(r).toMatch(/su kalshi-bot kalshi-bot/);
  });
});

describe("manage.sh", () => {
  const manage = join(REPO, "deploy/systemd/manage.sh");

  test("--help lists every command", () => {
    const r = run(["bash", manage, "--help"]);
    expect(r.code).toBe(0);
    for (const c of [
      "start",
      "stop",
      "restart",
      "status",
      "logs",
      "backup",
      "health",
      "pause",
      "resume",
      "install",
      "once",
      "verify",
      "restore",
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, "m"));
    }
  });

  test("unknown command or option: usage error 2 with a pointer to --help", () => {
    const a = run(["bash", manage, "frobnicate"]);
    expect(a.code).toBe(2);
    // The message only: die() once printed its exit code after it ("... (see --help) 2").
    expect(a.stderr).toBe("manage.sh: unknown command 'frobnicate' (see --help)\n");
    const b = run(["bash", manage, "--instance", "bad/name", "status"]);
    expect(b.code).toBe(2);
  });

  test("without systemd or before installation it says what to do instead of failing obscurely", () => {
    const r = run(["bash", manage, "start"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/systemd is not running|needs root|not installed|private key/);
    if (!exists("/opt/kalshi-bot/kalshi-bot")) {
      const h = run(["bash", manage, "health"]);
      expect(h.code).toBe(5);
      expect(h.stderr).toContain("kalshi-bot is not installed");
      expect(h.stderr).toContain("install");
    }
  });
});

describe("restore_db.sh", () => {
  test("is a wrapper around `kalshi-bot restore` that finds the binary next to it, in dist/, PATH or /opt", () => {
    const text = readFileSync(join(REPO, "scripts/restore_db.sh"), "utf8");
    expect(text).toContain('exec "$b" restore "$@"');
    const dir = tempDir("kb-rdb-");
    cpSync(join(REPO, "scripts/restore_db.sh"), join(dir, "restore_db.sh"));
    // No binary anywhere it looks (unless /opt/kalshi-bot exists on this machine): a clear message.
    if (!exists("/opt/kalshi-bot/kalshi-bot")) {
      const r = run(["sh", join(dir, "restore_db.sh"), "backups/x.sqlite"], { env: { PATH: "/usr/bin:/bin" } });
      expect(r.code).toBe(5);
      expect(r.stderr).toContain("kalshi-bot binary not found");
    }
  });

  test.skipIf(!exists(DIST_BINARY))("a missing backup file is refused by the binary (non-zero, target untouched)", () => {
    const dir = tempDir("kb-rdb-");
    const target = join(dir, "kalshi.sqlite");
    writeFileSync(target, "keep me");
    const r = run(["sh", join(REPO, "scripts/restore_db.sh"), join(dir, "nope.sqlite"), target], { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(readFileSync(target, "utf8")).toBe("keep me");
  });
});
