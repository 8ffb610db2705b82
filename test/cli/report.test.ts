// `kalshi-bot report` through the compiled binary on ledgers the bot itself wrote: a live one (the
// bot trading against the local exchange in this process, some markets settled), a paper one (the
// default dry-run config on the embedded exchange). Checked against the ledger's own SQL:
//   - CSV parses back (RFC 4180) with the documented header and one row per ledger row;
//   - the daily net cash change sums exactly to ledger cash − anchor (readLedger's SQL), and the
//     daily realized P&L to the positions' realized P&L;
//   - JSON is one valid array; --paper reads the other book;
//   - day filters at exact trading-day boundaries in risk.timezone (on a copy whose fill times are
//     moved to straddle a New York midnight);
//   - bad input is one line with the right exit code, and the database is never written;
//   - it runs while a daemon holds the lock.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, startBin, tempDir, writeConfig, type RunResult } from "../helpers/bin.ts";
import { onceArgs, readLedger, startVenue, writeBotConfig, type Venue } from "../engine/e2e-harness.ts";
import { withoutClockNotice } from "../helpers/calendar.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

const FILL_HEADER = "time,ticker,side,count,price,yes_price,fee,cash_effect,is_taker,order_id,client_order_id";
const ORDER_HEADER = "created,ticker,side,price,yes_price,count,filled,status,strategy,reason,client_order_id,order_id,origin";
const SETTLEMENT_HEADER = "time,ticker,result,yes_count,no_count,revenue,fee";
const DAILY_HEADER = "day,fills,contracts,fees,realized_pnl,settlements,settlement_revenue,net_cash_change,orders_sent";

/** An RFC 4180 reader (quoted fields, doubled quotes, CRLF records), strict about what it accepts. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        field += c;
        i++;
      }
      continue;
    }
    if (c === '"') {
      if (field !== "") throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
      i++;
    } else if (c === ",") {
      row.push(field);
      field = "";
      i++;
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i += 2;
    } else if (c === "\n" || c === "\r") {
      throw new Error(`bare line break at ${i} (RFC 4180 records end in CRLF)`);
    } else {
      field += c;
      i++;
    }
  }
  if (quoted) throw new Error("unterminated quoted field");
  if (field !== "" || row.length) throw new Error("last record does not end in CRLF");
  return rows;
}

/** Decimal string with `dp` places → integer units, without floats. */
function units(s: string, dp: number): number {
  const m = /^(-?)(\d+)\.(\d+)$/.exec(s);
  if (!m || m[3]!.length !== dp) throw new Error(`"${s}" is not a ${dp}-dp decimal`);
  const n = Number(m[2]) * 10 ** dp + Number(m[3]);
  return m[1] ? -n : n;
}

function q<T>(dbPath: string, sql: string, ...params: Array<string | number>): T {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.query(sql).get(...params) as T;
  } finally {
    db.close();
  }
}

function sha(p: string): string {
  return createHash("sha256").update(readFileSync(p)).digest("hex");
}

/** One line naming the problem, the expected code, no stack, nothing on stdout. */
function oneLine(r: RunResult, code: number, re: RegExp): void {
  expect(r.timedOut, r.output).toBe(false);
  expect(r.code, r.output).toBe(code);
  expect(r.stdout).toBe("");
  expect(r.output).not.toMatch(/\n\s+at .+:\d+/);
  expect(r.output).not.toMatch(/Internal error/);
  // The bot's own notice that the harness pinned its clock (the venue stays up for the whole file) is not the error.
  const lines = withoutClockNotice(r.stderr).trim().split("\n");
  expect(lines.length, r.stderr).toBe(1);
  expect(lines[0], r.stderr).toMatch(re);
}

let liveDir = "";
let liveCfg = "";
let liveDb = "";
let venue: Venue;

beforeAll(async () => {
  liveDir = tempDir("report-live-");
  venue = await startVenue(liveDir, { seed: 11 });
  liveCfg = writeBotConfig(liveDir, venue);
  liveDb = join(liveDir, "data/kalshi.sqlite");
  for (let i = 0; i < 8; i++) {
    const r = await runBin(onceArgs(liveCfg, liveDir), { cwd: liveDir, timeoutMs: 60_000 });
    expect(r.code, r.output).toBe(0);
    venue.step(7_000);
  }
  // Settle what the bot holds: close those markets now, let the exchange determine and pay them,
  // then one more cycle to bring the settlements into the ledger.
  const held = [...readLedger(liveDb, false).positions.keys()];
  for (const t of held) venue.sim.exchange.setCloseTime(t, venue.clock.now());
  for (let i = 0; i < 40; i++) venue.step(60_000);
  const r = await runBin(onceArgs(liveCfg, liveDir), { cwd: liveDir, timeoutMs: 60_000 });
  expect(r.code, r.output).toBe(0);
}, 600_000);

afterAll(async () => {
  await venue?.stop();
});

describe("report on a live ledger the bot wrote", () => {
  test("the ledger has real activity to report", () => {
    const f = q<{ n: number }>(liveDb, "select count(*) as n from fills where paper = 0");
    const s = q<{ n: number }>(liveDb, "select count(*) as n from settlements where paper = 0");
    console.log(`live ledger: ${f.n} fills, ${s.n} settlements`);
    expect(f.n).toBeGreaterThan(0);
    expect(s.n).toBeGreaterThan(0);
  });

  test("fills as CSV: RFC 4180, documented header, one row per fill, values as the ledger holds them", async () => {
    const r = await runBin(["report", "fills", "--config", liveCfg], { cwd: liveDir });
    expect(r.code, r.output).toBe(0);
    const rows = parseCsv(r.stdout);
    expect(rows[0]!.join(",")).toBe(FILL_HEADER);
    const body = rows.slice(1);
    expect(body.length).toBe(q<{ n: number }>(liveDb, "select count(*) as n from fills where paper = 0").n);
    for (const row of body) expect(row.length).toBe(11);
    const col = (name: string) => FILL_HEADER.split(",").indexOf(name);
    // Sums to the micro, and each row's side/price pair is the ledger's book side and YES price.
    const sums = q<{ fee: number; cash: number; cnt: number }>(
      liveDb,
      "select sum(fee_micros) as fee, sum(cash_delta_micros) as cash, sum(count) as cnt from fills where paper = 0",
    );
    expect(body.reduce((a, x) => a + units(x[col("fee")]!, 6), 0)).toBe(sums.fee);
    expect(body.reduce((a, x) => a + units(x[col("cash_effect")]!, 6), 0)).toBe(sums.cash);
    expect(body.reduce((a, x) => a + units(x[col("count")]!, 2), 0)).toBe(sums.cnt);
    for (const x of body) {
      expect(["buy YES", "buy NO"]).toContain(x[col("side")]!);
      const yes = units(x[col("yes_price")]!, 4);
      expect(units(x[col("price")]!, 4)).toBe(x[col("side")] === "buy YES" ? yes : 10_000 - yes);
      expect(x[col("time")]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(["true", "false"]).toContain(x[col("is_taker")]!);
    }
    const bids = q<{ n: number }>(liveDb, "select count(*) as n from fills where paper = 0 and side = 'bid'").n;
    expect(body.filter((x) => x[col("side")] === "buy YES").length).toBe(bids);
  });

  test("orders and settlements as CSV: every row of the book", async () => {
    const o = await runBin(["report", "orders", "--config", liveCfg, "--format", "csv"], { cwd: liveDir });
    expect(o.code, o.output).toBe(0);
    const orows = parseCsv(o.stdout);
    expect(orows[0]!.join(",")).toBe(ORDER_HEADER);
    expect(orows.length - 1).toBe(q<{ n: number }>(liveDb, "select count(*) as n from orders where paper = 0").n);
    // A reason holds commas: it must come back whole.
    const reasons = new Set(
      (
        new Database(liveDb, { readonly: true }).query("select reason from orders where paper = 0").all() as { reason: string | null }[]
      ).map((x) => x.reason ?? ""),
    );
    for (const row of orows.slice(1)) expect(reasons.has(row[9]!)).toBe(true);
    const s = await runBin(["report", "settlements", "--config", liveCfg, "--format", "csv"], { cwd: liveDir });
    expect(s.code, s.output).toBe(0);
    const srows = parseCsv(s.stdout);
    expect(srows[0]!.join(",")).toBe(SETTLEMENT_HEADER);
    expect(srows.length - 1).toBe(q<{ n: number }>(liveDb, "select count(*) as n from settlements where paper = 0").n);
    const rev = q<{ r: number }>(liveDb, "select sum(revenue_cents * 10000) as r from settlements where paper = 0").r;
    expect(srows.slice(1).reduce((a, x) => a + units(x[5]!, 6), 0)).toBe(rev);
  });

  test("daily over everything: net cash change sums exactly to ledger cash − anchor; realized to the positions'", async () => {
    const r = await runBin(["report", "daily", "--config", liveCfg, "--format", "json"], { cwd: liveDir });
    expect(r.code, r.output).toBe(0);
    const days = JSON.parse(r.stdout) as Array<Record<string, string | number>>;
    expect(Array.isArray(days)).toBe(true);
    expect(Object.keys(days[0]!).join(",")).toBe(DAILY_HEADER);
    const net = days.reduce((a, d) => a + units(d.net_cash_change as string, 6), 0);
    const anchor = Number(q<{ value: string }>(liveDb, "select value from meta where key = 'live.cash_anchor_micros'").value);
    const adjust = Number(q<{ value: string } | null>(liveDb, "select value from meta where key = 'live.cash_adjust_micros'")?.value ?? 0);
    expect(adjust).toBe(0);
    expect(net).toBe(readLedger(liveDb, false).cashMicros - anchor);
    const realized = days.reduce((a, d) => a + units(d.realized_pnl as string, 6), 0);
    expect(realized).toBe(q<{ r: number }>(liveDb, "select sum(realized_pnl_micros) as r from positions where paper = 0").r);
    expect(days.reduce((a, d) => a + (d.fills as number), 0)).toBe(
      q<{ n: number }>(liveDb, "select count(*) as n from fills where paper = 0").n,
    );
    expect(days.reduce((a, d) => a + (d.orders_sent as number), 0)).toBe(
      q<{ n: number }>(liveDb, "select count(*) as n from orders where paper = 0 and origin = 'bot'").n,
    );
    const fees = q<{ f: number }>(
      liveDb,
      "select (select sum(fee_micros) from fills where paper = 0) + (select coalesce(sum(fee_micros), 0) from settlements where paper = 0) as f",
    ).f;
    expect(days.reduce((a, d) => a + units(d.fees as string, 6), 0)).toBe(fees);
  });

  test("json for every kind is one valid array with as many entries as CSV rows", async () => {
    for (const kind of ["fills", "orders", "settlements", "daily"]) {
      const j = await runBin(["report", kind, "--config", liveCfg, "--format", "json"], { cwd: liveDir });
      const c = await runBin(["report", kind, "--config", liveCfg, "--format", "csv"], { cwd: liveDir });
      expect(j.code, j.output).toBe(0);
      const arr = JSON.parse(j.stdout);
      expect(Array.isArray(arr)).toBe(true);
      expect(arr.length).toBe(parseCsv(c.stdout).length - 1);
    }
  });

  test("table: a title, the rows and a totals line", async () => {
    const r = await runBin(["report", "daily", "--config", liveCfg, "--format", "table"], { cwd: liveDir });
    expect(r.code, r.output).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^daily of the live book, all days \(trading days in America\/New_York\), \d+ row\(s\)$/);
    expect(lines[1]).toMatch(/^day\s+fills\s+contracts/);
    expect(lines.at(-1)).toMatch(/^total \d+d\s+\d+/);
    const fills = await runBin(["report", "fills", "--config", liveCfg, "--format", "table"], { cwd: liveDir });
    const n = q<{ n: number }>(liveDb, "select count(*) as n from fills where paper = 0").n;
    expect(fills.stdout.trimEnd().split("\n").at(-1)).toMatch(new RegExp(`^total ${n}\\s`));
  });

  test("an empty range says so in one line and exits 0; machine formats stay parseable", async () => {
    const t = await runBin(
      ["report", "fills", "--config", liveCfg, "--since", "2001-01-01", "--until", "2001-01-31", "--format", "table"],
      { cwd: liveDir },
    );
    expect(t.code, t.output).toBe(0);
    expect(t.stdout).toMatch(
      /^no fills between 2001-01-01 and 2001-01-31 in the live book of .*kalshi\.sqlite \(trading days in America\/New_York\)\n$/,
    );
    const c = await runBin(["report", "fills", "--config", liveCfg, "--until", "2001-01-31"], { cwd: liveDir });
    expect(c.code).toBe(0);
    expect(c.stdout).toBe(`${FILL_HEADER}\r\n`);
    expect(c.stderr).toContain("no fills up to 2001-01-31");
    const j = await runBin(["report", "daily", "--config", liveCfg, "--since", "2001-01-01", "--until", "2001-01-01", "--format", "json"], {
      cwd: liveDir,
    });
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual([]);
    // The live book has fills, so asking the paper book of this folder says where they are.
    const p = await runBin(["report", "fills", "--config", liveCfg, "--paper", "--format", "table"], { cwd: liveDir });
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/no fills yet in the paper \(dry-run\) book .*; the live book has \d+ fills: add --live/);
  });

  test("tables fit the terminal's width (COLUMNS): text cut with …, numbers whole; too narrow turns rows into blocks", async () => {
    const wide = await runBin(["report", "orders", "--config", liveCfg, "--format", "table"], { cwd: liveDir, env: { COLUMNS: "400" } });
    expect(wide.code, wide.output).toBe(0);
    const wideLines = wide.stdout.trimEnd().split("\n").slice(1);
    const natural = Math.max(...wideLines.map((l) => l.length));
    expect(natural).toBeGreaterThan(160);
    const json = JSON.parse(
      (await runBin(["report", "orders", "--config", liveCfg, "--format", "json"], { cwd: liveDir })).stdout,
    ) as Array<{ count: string; price: string }>;
    // Narrower than the table, wide enough for its numbers and every text column at 8 characters.
    for (const cols of [natural - 10, natural - 40]) {
      const r = await runBin(["report", "orders", "--config", liveCfg, "--format", "table"], {
        cwd: liveDir,
        env: { COLUMNS: String(cols) },
      });
      expect(r.code, r.output).toBe(0);
      const lines = r.stdout.trimEnd().split("\n").slice(1);
      for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(cols);
      expect(r.stdout).toContain("…");
      // Every row still carries its price and count in full.
      expect(lines.length).toBe(wideLines.length);
      for (const o of json) expect(r.stdout).toContain(o.price);
    }
    const narrow = await runBin(["report", "orders", "--config", liveCfg, "--format", "table"], { cwd: liveDir, env: { COLUMNS: "40" } });
    expect(narrow.code, narrow.output).toBe(0);
    const nl = narrow.stdout.trimEnd().split("\n").slice(1);
    for (const l of nl) expect(l.length, l).toBeLessThanOrEqual(40);
    expect(nl[0]).toBe(`-- 1 of ${json.length} --`);
    expect(nl.filter((l) => /^count\s+\d+\.\d{2}$/.test(l))).toHaveLength(json.length + 1);
    expect(nl).toContain("-- total --");
  });

  test("reading never writes the database", async () => {
    const before = sha(liveDb);
    for (const kind of ["fills", "orders", "settlements", "daily"])
      expect((await runBin(["report", kind, "--config", liveCfg], { cwd: liveDir })).code).toBe(0);
    expect(sha(liveDb)).toBe(before);
  });
});

describe("trading-day filters", () => {
  // A copy whose fills are moved to straddle New York midnights (EST, UTC−5 in January): exact
  // boundaries, whole days, checked against the rows' own times.
  const NY_MIDNIGHT_JAN_10 = Date.UTC(2026, 0, 10, 5, 0, 0, 0);
  let dir = "";
  let cfg = "";
  let db = "";
  let placed: Array<{ id: number; at: number; day: string }> = [];

  beforeAll(() => {
    dir = tempDir("report-days-");
    mkdirSync(join(dir, "data"));
    db = join(dir, "data/kalshi.sqlite");
    copyFileSync(liveDb, db);
    for (const ext of ["-wal", "-shm"]) {
      try {
        copyFileSync(liveDb + ext, db + ext);
      } catch {}
    }
    // The live ledger's copy: the config trades live, so reports default to the live book.
    cfg = writeConfig(dir, {
      paths: { database: "data/kalshi.sqlite", lock_file: "bot.lock" },
      trading: { dry_run: false },
      risk: { timezone: "America/New_York" },
    });
    const w = new Database(db);
    try {
      const ids = (w.query("select id from fills where paper = 0 order by id").all() as { id: number }[]).map((r) => r.id);
      // Cycle through: the last millisecond of Jan 9, the first of Jan 10, noon Jan 10, the last
      // millisecond of Jan 10, the first of Jan 11 (all New York time).
      const slots: Array<[number, string]> = [
        [NY_MIDNIGHT_JAN_10 - 1, "2026-01-09"],
        [NY_MIDNIGHT_JAN_10, "2026-01-10"],
        [NY_MIDNIGHT_JAN_10 + 12 * 3_600_000, "2026-01-10"],
        [NY_MIDNIGHT_JAN_10 + 24 * 3_600_000 - 1, "2026-01-10"],
        [NY_MIDNIGHT_JAN_10 + 24 * 3_600_000, "2026-01-11"],
      ];
      placed = ids.map((id, i) => ({ id, at: slots[i % slots.length]![0], day: slots[i % slots.length]![1] }));
      const up = w.query("update fills set created_at = ? where id = ?");
      for (const p of placed) up.run(p.at, p.id);
    } finally {
      w.close();
    }
    expect(placed.length).toBeGreaterThanOrEqual(5);
  });

  const fillsIn = async (args: string[]) => {
    const r = await runBin(["report", "fills", "--config", cfg, "--format", "csv", ...args], { cwd: dir });
    expect(r.code, r.output).toBe(0);
    return parseCsv(r.stdout).slice(1);
  };
  const expected = (since: string | null, until: string | null) =>
    placed.filter((p) => (!since || p.day >= since) && (!until || p.day <= until)).length;

  test("--since and --until are inclusive trading days in risk.timezone", async () => {
    expect((await fillsIn(["--since", "2026-01-10", "--until", "2026-01-10"])).length).toBe(expected("2026-01-10", "2026-01-10"));
    expect((await fillsIn(["--since", "2026-01-10"])).length).toBe(expected("2026-01-10", null));
    expect((await fillsIn(["--until", "2026-01-09"])).length).toBe(expected(null, "2026-01-09"));
    expect((await fillsIn(["--since", "2026-01-11"])).length).toBe(expected("2026-01-11", null));
    expect((await fillsIn(["--since", "2026-01-09", "--until", "2026-01-11"])).length).toBe(placed.length);
    expect((await fillsIn(["--since", "2026-01-12"])).length).toBe(0);
    // The last millisecond of Jan 9 New York time is 04:59:59.999Z on Jan 10.
    const jan9 = await fillsIn(["--until", "2026-01-09"]);
    for (const row of jan9) expect(row[0]).toBe("2026-01-10T04:59:59.999Z");
  });

  test("the same instants fall on other days in another time zone", async () => {
    // UTC: 04:59:59.999Z and 05:00Z are both Jan 10.
    writeConfig(
      dir,
      { paths: { database: "data/kalshi.sqlite", lock_file: "bot.lock" }, trading: { dry_run: false }, risk: { timezone: "UTC" } },
      "utc.json",
    );
    const r = await runBin(["report", "fills", "--config", join(dir, "utc.json"), "--since", "2026-01-10", "--until", "2026-01-10"], {
      cwd: dir,
    });
    expect(r.code, r.output).toBe(0);
    const utcJan10 = placed.filter((p) => new Date(p.at).toISOString().startsWith("2026-01-10")).length;
    expect(parseCsv(r.stdout).length - 1).toBe(utcJan10);
  });

  test("daily: one row per trading day, fills placed by the same rule", async () => {
    const r = await runBin(["report", "daily", "--config", cfg, "--format", "json", "--since", "2026-01-09", "--until", "2026-01-11"], {
      cwd: dir,
    });
    expect(r.code, r.output).toBe(0);
    const days = JSON.parse(r.stdout) as Array<{ day: string; fills: number }>;
    expect(days.map((d) => d.day)).toEqual(["2026-01-09", "2026-01-10", "2026-01-11"]);
    for (const d of days) expect(d.fills).toBe(expected(d.day, d.day));
  });
});

describe("paper book", () => {
  test("the default dry-run config (market maker enabled) on the embedded exchange: the paper book by default and with --paper, --live is empty", async () => {
    const dir = tempDir("report-paper-");
    // The market maker ships disabled, and the shipped arbitrage finds nothing on this scenario in two cycles.
    writeConfig(dir, { paths: { lock_file: "bot.lock" }, trading: { strategies: { market_maker: { enabled: true } } } });
    for (let i = 0; i < 2; i++) {
      const r = await runBin(["--mode", "trade", "--once", "--skip-setup-wizard", "--non-interactive"], { cwd: dir, timeoutMs: 120_000 });
      expect(r.code, r.output).toBe(0);
    }
    const db = join(dir, "data/kalshi.sqlite");
    const n = q<{ n: number }>(db, "select count(*) as n from orders where paper = 1").n;
    expect(n).toBeGreaterThan(0);
    const p = await runBin(["report", "orders", "--paper"], { cwd: dir });
    expect(p.code, p.output).toBe(0);
    expect(parseCsv(p.stdout).length - 1).toBe(n);
    // No flag: the book the config trades (dry_run is the default, so paper).
    const d = await runBin(["report", "orders"], { cwd: dir });
    expect(d.code, d.output).toBe(0);
    expect(d.stdout).toBe(p.stdout);
    const both = await runBin(["report", "orders", "--paper", "--live"], { cwd: dir });
    expect(both.code).toBe(2);
    expect(withoutClockNotice(both.stderr).trim().split("\n")).toHaveLength(1);
    const live = await runBin(["report", "orders", "--live", "--format", "json"], { cwd: dir });
    expect(live.code).toBe(0);
    expect(JSON.parse(live.stdout)).toEqual([]);
    expect(live.stderr).toMatch(/no orders yet in the live book .*the paper \(dry-run\) book has \d+ orders: add --paper/);
    const daily = await runBin(["report", "daily", "--paper", "--format", "json"], { cwd: dir });
    const rows = JSON.parse(daily.stdout) as Array<{ orders_sent: number; net_cash_change: string }>;
    expect(rows.reduce((a, d) => a + d.orders_sent, 0)).toBe(
      q<{ n: number }>(db, "select count(*) as n from orders where paper = 1 and origin = 'bot'").n,
    );
  }, 300_000);

  test("runs while a daemon holds the lock and trades", async () => {
    const dir = tempDir("report-daemon-");
    writeConfig(dir, {
      paths: { lock_file: "bot.lock" },
      trading: { cycle_interval_seconds: 1, strategies: { market_maker: { enabled: true } } },
    });
    const bot = startBin(["--mode", "trade", "--skip-setup-wizard", "--non-interactive", "--log-format", "plain"], { cwd: dir });
    try {
      await bot.waitFor(/bankroll \(paper\)/, 90_000);
      for (let i = 0; i < 3; i++) {
        const r = await runBin(["report", "orders", "--paper", "--format", "json"], { cwd: dir });
        expect(r.code, r.output).toBe(0);
        expect(JSON.parse(r.stdout).length).toBeGreaterThan(0);
        const d = await runBin(["report", "daily", "--paper", "--format", "table"], { cwd: dir });
        expect(d.code, d.output).toBe(0);
      }
      const st = await runBin(["status"], { cwd: dir });
      expect(st.stdout).toMatch(/Lock:\s+held by PID/);
      expect(bot.proc.exitCode).toBeNull();
    } finally {
      await bot.stop();
    }
  }, 180_000);
});

describe("bad input: one line, the right exit code", () => {
  let dir = "";
  beforeAll(() => {
    dir = tempDir("report-bad-");
    writeConfig(dir, { paths: { lock_file: "bot.lock" } });
  });

  test.each([
    [["report"], 2, /report needs a kind: kalshi-bot report fills\|orders\|settlements\|daily/],
    [["report", "trades"], 2, /Unknown report "trades"; choose one of fills, orders, settlements, daily/],
    [["report", "fills", "--since", "2026-13-01"], 2, /--since "2026-13-01" is not a date; write it as YYYY-MM-DD/],
    [["report", "fills", "--since", "2026-02-30"], 2, /--since "2026-02-30" is not a date/],
    [["report", "fills", "--until", "yesterday"], 2, /--until "yesterday" is not a date/],
    [["report", "fills", "--since", ""], 2, /--since "" is not a date/],
    [["report", "fills", "--since", "2026-02-01", "--until", "2026-01-31"], 2, /--until 2026-01-31 is before --since 2026-02-01/],
    [["report", "fills", "--format", "xml"], 2, /--format "xml" is not a format; choose table, csv or json/],
    [["report", "fills", "--sinse", "2026-01-01"], 2, /Unknown option --sinse/],
    [["report", "fills", "--since", "2026-01-01", "--since", "2026-01-02"], 2, /--since is given more than once/],
    [["report", "fills", "daily"], 2, /Unexpected argument/],
    [["report", "fills", "--config", "missing.json"], 2, /missing\.json/],
  ])("%p → exit %p", async (args, code, re) => {
    oneLine(await runBin(args as string[], { cwd: dir }), code as number, re as RegExp);
  });

  test("no database yet: names it and the first run that creates it (exit 2), creates nothing", async () => {
    const r = await runBin(["report", "daily"], { cwd: dir });
    oneLine(r, 2, /no database at data\/kalshi\.sqlite yet: the bot creates it on its first run \(kalshi-bot --mode trade --once\)/);
    expect(existsSync(join(dir, "data"))).toBe(false);
  });

  test("another program's SQLite file, a text file, a ledger without tables: exit 8, untouched", async () => {
    const d = tempDir("report-notours-");
    writeConfig(d, { paths: { lock_file: "bot.lock", database: "other.sqlite" } });
    const other = new Database(join(d, "other.sqlite"));
    other.run("create table customers (id integer primary key, name text)");
    other.close();
    const before = sha(join(d, "other.sqlite"));
    oneLine(await runBin(["report", "fills"], { cwd: d }), 8, /another application's SQLite database .*not a kalshi-bot ledger/);
    expect(sha(join(d, "other.sqlite"))).toBe(before);
    writeFileSync(join(d, "other.sqlite"), "hello, not a database\n");
    oneLine(await runBin(["report", "fills"], { cwd: d }), 8, /is not a SQLite database/);
    writeFileSync(join(d, "other.sqlite"), "");
    oneLine(await runBin(["report", "fills"], { cwd: d }), 8, /holds no kalshi-bot ledger \(no orders, fills, settlements table\)/);
    expect(readFileSync(join(d, "other.sqlite")).length).toBe(0);
  });

  test("a time zone the system does not know: exit 2 naming risk.timezone", async () => {
    const d = tempDir("report-tz-");
    writeConfig(d, { paths: { lock_file: "bot.lock" }, risk: { timezone: "Mars/Olympus_Mons" } });
    // Refused when the config loads (issue 10), like any other invalid key: the header line, then the key.
    const r = await runBin(["report", "fills"], { cwd: d });
    expect(r.code, r.output).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.output).not.toMatch(/Internal error|\n\s+at .+:\d+/);
    expect(r.stderr).toMatch(
      /is invalid \(1 problem\); fix these keys:\n.*risk\.timezone: "Mars\/Olympus_Mons" is not a time zone this system knows/,
    );
  });

  test("--help lists the kinds and options; the root help lists the command", async () => {
    const h = await runBin(["report", "--help"], { cwd: dir });
    expect(h.code).toBe(0);
    for (const s of ["--since", "--until", "--paper", "--format", "--config", "fills | orders | settlements | daily"])
      expect(h.stdout).toContain(s);
    const root = await runBin(["--help"], { cwd: dir });
    expect(root.stdout).toMatch(/\n {2}report +Records from the ledger for books, taxes and review/);
  });
});
