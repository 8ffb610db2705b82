// One source for the exit codes: README's table and `--help` are both rendered from src/errors.ts.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { exitCodeSummary, exitCodeTable } from "../../src/cli/exit-codes.ts";
import { rootUsage } from "../../src/cli/main.ts";
import { EXIT } from "../../src/errors.ts";
import { withExitCodeTable } from "../../scripts/exit-codes.ts";

const README = readFileSync(join(resolve(import.meta.dir, "../.."), "README.md"), "utf8");

describe("exit codes: one list, rendered", () => {
  test("README's table is the list in src/errors.ts (fix: bun scripts/exit-codes.ts --write)", () => {
    expect(withExitCodeTable(README, exitCodeTable())).toBe(README);
  });

  test("the table has a row per code, in order", () => {
    const codes = exitCodeTable()
      .split("\n")
      .slice(2)
      .map((l) => Number(l.split("|")[1]));
    expect(codes).toEqual(Object.values(EXIT));
  });

  test("--help ends with the same list", async () => {
    const help = await rootUsage();
    expect(help).toContain(`Exit codes: ${exitCodeSummary()}.`);
    for (const code of Object.values(EXIT)) expect(exitCodeSummary()).toMatch(new RegExp(`(^|, )${code} `));
  });
});
