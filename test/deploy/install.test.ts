// scripts/install.sh into a temporary root: files, modes (key 0600, state 0700), owners when the tests
// run as root (the bot user is then "nobody", via --user), idempotence, instances, and an uninstall
// that keeps config, key and database.
import { beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, lstatSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfigText } from "../../src/config/load.ts";
import { exists, fakeBinary, install, IS_ROOT, REPO, run, tempDir, testUser, unitValues } from "./helpers.ts";

const PEM = "-----BEGIN " + "PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAtest\n-----END PRIVATE KEY-----\n";

const mode = (p: string) => statSync(p).mode & 0o7777;

let work: string;
let root: string;
let bin: string;
let key: string;
let first: ReturnType<typeof install>;

function listing(dir: string): string[] {
  const r = run(["find", dir, "-printf", "%P %m %U:%G %y\n"]);
  return r.stdout.split("\n").filter(Boolean).sort();
}

beforeAll(() => {
  work = tempDir("kb-install-");
  root = join(work, "root");
  bin = fakeBinary(work);
  key = join(work, "my-key.pem");
  writeFileSync(key, PEM, { mode: 0o644 });
  first = install(root, ["--key", key], bin);
});

describe("install.sh into a temp root", () => {
  test("succeeds and says what it skipped", () => {
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("skipped daemon-reload");
    if (!IS_ROOT) expect(first.stdout).toContain("skipping user creation and chown");
  });

  test("binary, helper scripts and docs land in /opt/kalshi-bot, with a PATH link", () => {
    const opt = join(root, "opt/kalshi-bot");
    expect(readFileSync(join(opt, "kalshi-bot"), "utf8")).toBe(readFileSync(bin, "utf8"));
    expect(mode(join(opt, "kalshi-bot"))).toBe(0o755);
    for (const f of ["kalshi-bot-alert", "manage.sh", "restore_db.sh", "scripts/install.sh", "deploy/systemd/manage.sh"]) {
      expect(mode(join(opt, f))).toBe(0o755);
    }
    expect(exists(join(opt, "README.md"))).toBe(true);
    expect(readlinkSync(join(root, "usr/local/bin/kalshi-bot"))).toBe("/opt/kalshi-bot/kalshi-bot");
  });

  test("config template to /etc/kalshi-bot (0640, dir 0750), key 0600 even when the source was 0644", () => {
    const etc = join(root, "etc/kalshi-bot");
    expect(mode(etc)).toBe(0o750);
    const cfg = join(etc, "advanced_config.json");
    expect(mode(cfg)).toBe(0o640);
    expect(readFileSync(cfg, "utf8")).toBe(readFileSync(join(REPO, "deploy/config/advanced_config.json"), "utf8"));
    expect(parseConfigText(readFileSync(cfg, "utf8"), cfg).trading.dry_run).toBe(true);
    expect(mode(join(etc, "kalshi.key"))).toBe(0o600);
    expect(readFileSync(join(etc, "kalshi.key"), "utf8")).toBe(PEM);
  });

  test("state directory and its subfolders are 0700", () => {
    const state = join(root, "var/lib/kalshi-bot");
    for (const d of ["", "data", "backups", "reports", "logs"]) expect(mode(join(state, d))).toBe(0o700);
  });

  test("units, journald drop-in and logrotate are installed 0644", () => {
    const units = join(root, "etc/systemd/system");
    for (const u of [
      "kalshi-bot.service",
      "kalshi-bot@.service",
      "kalshi-bot-watchdog.timer",
      "kalshi-bot-backup.timer",
      "kalshi-bot-alert@.service",
    ]) {
      expect(mode(join(units, u))).toBe(0o644);
    }
    expect(mode(join(root, "etc/systemd/journald.conf.d/kalshi-bot.conf"))).toBe(0o644);
    expect(mode(join(root, "etc/logrotate.d/kalshi-bot"))).toBe(0o644);
    expect(exists(join(root, "etc/cron.d/kalshi-bot"))).toBe(false); // the timer is the default
  });

  test.skipIf(!IS_ROOT)("as root: state owned by the bot user, config readable by its group only, key root-only", () => {
    const u = testUser()!;
    const state = statSync(join(root, "var/lib/kalshi-bot/data"));
    expect([state.uid, state.gid]).toEqual([u.uid, u.gid]);
    const etc = statSync(join(root, "etc/kalshi-bot"));
    expect([etc.uid, etc.gid]).toEqual([0, u.gid]);
    const cfg = statSync(join(root, "etc/kalshi-bot/advanced_config.json"));
    expect([cfg.uid, cfg.gid]).toEqual([0, u.gid]);
    const k = statSync(join(root, "etc/kalshi-bot/kalshi.key"));
    expect([k.uid, k.gid]).toEqual([0, 0]);
    expect(statSync(join(root, "opt/kalshi-bot/kalshi-bot")).uid).toBe(0);
    // --user rewrote the units' User=/Group=.
    const unit = readFileSync(join(root, "etc/systemd/system/kalshi-bot.service"), "utf8");
    expect(unitValues(unit, "User")).toEqual([u.name]);
  });

  test("a second run is idempotent: operator's config and data kept, modes restored, same file set", () => {
    const before = listing(root);
    const cfg = join(root, "etc/kalshi-bot/advanced_config.json");
    const edited = readFileSync(cfg, "utf8").replace('"cycle_interval_seconds": 60', '"cycle_interval_seconds": 30');
    writeFileSync(cfg, edited);
    const db = join(root, "var/lib/kalshi-bot/data/kalshi.sqlite");
    writeFileSync(db, "database bytes");
    chmodSync(join(root, "etc/kalshi-bot/kalshi.key"), 0o644); // someone loosened it
    chmodSync(join(root, "var/lib/kalshi-bot"), 0o755);

    const again = install(root, [], bin);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("kept existing");
    expect(readFileSync(cfg, "utf8")).toBe(edited);
    expect(readFileSync(db, "utf8")).toBe("database bytes");
    expect(mode(join(root, "etc/kalshi-bot/kalshi.key"))).toBe(0o600);
    expect(mode(join(root, "var/lib/kalshi-bot"))).toBe(0o700);
    const after = listing(root).filter((l) => !l.startsWith("var/lib/kalshi-bot/data/kalshi.sqlite "));
    expect(after).toEqual(before);
    // A third run changes nothing at all.
    expect(install(root, [], bin).code).toBe(0);
    expect(listing(root).filter((l) => !l.startsWith("var/lib/kalshi-bot/data/kalshi.sqlite "))).toEqual(before);
  });

  test("--instance NAME adds a config with its own state paths and its own key", () => {
    const r = install(root, ["--instance", "demo", "--key", key], bin);
    expect(r.code).toBe(0);
    const cfgPath = join(root, "etc/kalshi-bot/demo.json");
    expect(mode(cfgPath)).toBe(0o640);
    const cfg = parseConfigText(readFileSync(cfgPath, "utf8"), cfgPath);
    expect(cfg.paths.database).toBe("/var/lib/kalshi-bot-demo/data/kalshi.sqlite");
    expect(cfg.paths.reports_dir).toBe("/var/lib/kalshi-bot-demo/reports");
    expect(cfg.paths.lock_file).toBe("/var/lib/kalshi-bot-demo/kalshi-bot.lock");
    expect(mode(join(root, "etc/kalshi-bot/demo.key"))).toBe(0o600);
    expect(mode(join(root, "var/lib/kalshi-bot-demo"))).toBe(0o700);
    expect(mode(join(root, "var/lib/kalshi-bot-demo/backups"))).toBe(0o700);
    expect(r.stdout).toContain("manage.sh --instance demo start");
  });

  test("bad input is refused with one clear line", () => {
    const a = install(join(work, "other"), ["--instance", "../x"], bin);
    expect(a.code).not.toBe(0);
    expect(a.stderr).toContain("instance name");
    const b = install(join(work, "other"), ["--frobnicate"], bin);
    expect(b.code).not.toBe(0);
    expect(b.stderr).toContain("unknown option '--frobnicate'");
    const c = install(join(work, "other"), [], join(work, "missing-binary"));
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain("not found");
    const notPem = join(work, "not-a-key.txt");
    writeFileSync(notPem, "hello");
    const d = install(join(work, "other"), ["--key", notPem], bin);
    expect(d.code).not.toBe(0);
    expect(d.stderr).toContain("does not look like a PEM private key");
  });

  test("--cron installs the cron file instead of relying on the backup timer", () => {
    const r2 = join(work, "root-cron");
    expect(install(r2, ["--cron"], bin).code).toBe(0);
    expect(mode(join(r2, "etc/cron.d/kalshi-bot"))).toBe(0o644);
  });

  test("--uninstall removes program and units but keeps config, key, database and backups", () => {
    const backup = join(root, "var/lib/kalshi-bot/backups/kalshi_20260101_000000.sqlite");
    writeFileSync(backup, "backup bytes");
    const r = run(["bash", join(REPO, "scripts/install.sh"), "--prefix", root, "--uninstall"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("kept:");
    expect(exists(join(root, "opt/kalshi-bot"))).toBe(false);
    expect(exists(join(root, "etc/systemd/system/kalshi-bot.service"))).toBe(false);
    expect(exists(join(root, "etc/systemd/system/kalshi-bot@.service"))).toBe(false);
    expect(exists(join(root, "etc/systemd/journald.conf.d/kalshi-bot.conf"))).toBe(false);
    expect(() => lstatSync(join(root, "usr/local/bin/kalshi-bot"))).toThrow();
    expect(readFileSync(join(root, "var/lib/kalshi-bot/data/kalshi.sqlite"), "utf8")).toBe("database bytes");
    expect(readFileSync(backup, "utf8")).toBe("backup bytes");
    expect(exists(join(root, "etc/kalshi-bot/advanced_config.json"))).toBe(true);
    expect(exists(join(root, "etc/kalshi-bot/kalshi.key"))).toBe(true);
    expect(exists(join(root, "var/lib/kalshi-bot-demo"))).toBe(true);
    // Uninstalling twice is fine; installing again picks the kept config up.
    expect(run(["bash", join(REPO, "scripts/install.sh"), "--prefix", root, "--uninstall"]).code).toBe(0);
    const re = install(root, [], bin);
    expect(re.code).toBe(0);
    expect(re.stdout).toContain("kept existing");
  });

  test("the installed tree runs from /opt alone: /opt/kalshi-bot/scripts/install.sh can reinstall", () => {
    const r3 = join(work, "root-from-opt");
    expect(install(r3, [], bin).code).toBe(0);
    const again = run([
      "bash",
      join(r3, "opt/kalshi-bot/scripts/install.sh"),
      "--prefix",
      r3,
      ...(testUser() ? ["--user", testUser()!.name] : []),
    ]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(readFileSync(join(r3, "opt/kalshi-bot/kalshi-bot"), "utf8")).toBe(readFileSync(bin, "utf8"));
    expect(exists(join(r3, "etc/systemd/system/kalshi-bot.service"))).toBe(true);
  });
});
