// .ci/deploy-checks.sh really gates: on a copy of the tree with a misspelled key in one unit and a
// stripped-down main service, it exits non-zero and names both failures.
import { describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, run, tempDir } from "./helpers.ts";

const haveTools = run(["sh", "-c", "command -v systemd-analyze && command -v shellcheck"]).code === 0;
if (!haveTools)
  console.warn("test/deploy/deploy-checks: SKIPPED: systemd-analyze or shellcheck missing (.ci/deploy-checks.sh installs them in CI)");

describe(".ci/deploy-checks.sh", () => {
  test.skipIf(!haveTools)(
    "fails, naming the unit, on a verify warning and on a weak security score",
    () => {
      const dir = tempDir("kb-checks-");
      mkdirSync(join(dir, ".ci"));
      cpSync(join(REPO, ".ci/deploy-checks.sh"), join(dir, ".ci/deploy-checks.sh"));
      cpSync(join(REPO, "deploy"), join(dir, "deploy"), { recursive: true });
      cpSync(join(REPO, "scripts"), join(dir, "scripts"), { recursive: true });
      const watchdog = join(dir, "deploy/systemd/kalshi-bot-watchdog.service");
      writeFileSync(watchdog, readFileSync(watchdog, "utf8").replace("TimeoutStartSec=", "TimeoutStartSecc="));
      const main = join(dir, "deploy/systemd/kalshi-bot.service");
      const weak = readFileSync(main, "utf8")
        .split("\n")
        .filter((l) => !/^(Protect|Private|Restrict|SystemCall|Capability|NoNewPrivileges)/.test(l))
        .join("\n");
      writeFileSync(main, weak);
      const r = run(["bash", join(dir, ".ci/deploy-checks.sh")]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("FAIL: systemd-analyze verify kalshi-bot-watchdog.service");
      expect(r.stderr).toContain("TimeoutStartSecc");
      expect(r.stderr).toMatch(/FAIL: systemd-analyze security deploy\/systemd\/kalshi-bot\.service: exposure \d+\.\d/);
    },
    120_000,
  );
});
