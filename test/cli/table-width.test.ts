// scan and status print their tables through the same helper as report (src/ops/table.ts): through
// the binary, with COLUMNS set, every table line fits and the tickers stay whole while free text
// gives way; without it (a pipe) nothing is cut.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cleanup, ensureBinary, runBin, tempDir, writeConfig } from "../helpers/bin.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const SCAN = ["--mode", "scan", "--once", "--skip-setup-wizard", "--non-interactive"];

/** The table under the "scan:" line: header, rule, rows (log lines are not part of it). */
function scanTable(stdout: string): string[] {
  const lines = stdout.split("\n");
  const at = lines.findIndex((l) => l.startsWith("scan: "));
  expect(at, stdout).toBeGreaterThanOrEqual(0);
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (!l || / (INFO|WARN|DEBUG|ERROR) /.test(l)) break;
    out.push(l);
  }
  return out;
}

describe("scan and status fit the terminal", () => {
  test("scan: COLUMNS=80 fits, tickers whole; a pipe without COLUMNS keeps every cell", async () => {
    const d = tempDir("scan-width-");
    writeConfig(d, { paths: { lock_file: "bot.lock" }, trading: { strategies: { market_maker: { enabled: true } } } });
    const wide = await runBin(SCAN, { cwd: d, timeoutMs: 90_000 });
    expect(wide.code, wide.output).toBe(0);
    const full = scanTable(wide.stdout);
    expect(full.length).toBeGreaterThan(2);
    expect(Math.max(...full.map((l) => l.length))).toBeGreaterThan(80);
    expect(full.join("\n")).not.toContain("…");
    const narrow = await runBin(SCAN, { cwd: d, timeoutMs: 90_000, env: { COLUMNS: "80" } });
    expect(narrow.code, narrow.output).toBe(0);
    const fitted = scanTable(narrow.stdout);
    expect(fitted.length).toBe(full.length);
    for (const l of fitted) expect(l.length, l).toBeLessThanOrEqual(80);
    // The same scenario, so the same rows: each fitted row starts with the same strategy and full ticker.
    const tickers = (rows: string[]) => rows.slice(2).map((l) => l.split(/\s{2,}/)[1]);
    expect(tickers(fitted)).toEqual(tickers(full));
  }, 200_000);

  test("status: the positions, open orders and cycles tables fit COLUMNS=60", async () => {
    const d = tempDir("status-width-");
    writeConfig(d, {
      paths: { lock_file: "bot.lock" },
      trading: { cancel_on_exit: false, strategies: { market_maker: { enabled: true } } },
    });
    const r = await runBin(["--mode", "trade", "--once", "--skip-setup-wizard", "--non-interactive"], { cwd: d, timeoutMs: 90_000 });
    expect(r.code, r.output).toBe(0);
    const st = JSON.parse((await runBin(["status", "--json"], { cwd: d })).stdout) as { open_orders: unknown[]; last_cycles: unknown[] };
    expect(st.open_orders.length).toBeGreaterThan(0);
    const text = (await runBin(["status"], { cwd: d, env: { COLUMNS: "60" } })).stdout;
    const tableLines = text.split("\n").filter((l) => /^ {2}\S/.test(l));
    expect(tableLines.length).toBeGreaterThan(st.open_orders.length);
    for (const l of tableLines) expect(l.length, l).toBeLessThanOrEqual(60);
    const unfitted = (await runBin(["status"], { cwd: d })).stdout.split("\n").filter((l) => /^ {2}\S/.test(l));
    expect(Math.max(...unfitted.map((l) => l.length))).toBeGreaterThan(60);
  }, 120_000);
});
