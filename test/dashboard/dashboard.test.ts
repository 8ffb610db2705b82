// The dashboard and /metrics through the binary, on ledgers the bot wrote: a dry-run cycle on the
// embedded exchange and live cycles against the local exchange. The page is loaded in a real
// browser (Debian's chromium driven by playwright-core) and the numbers it shows must equal
// `kalshi-bot status --json`; /metrics is scraped, parsed, checked for the exposition format and
// compared with the ledger. Screenshots go to test-results/.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { ROOT, cleanup, ensureBinary, runBin, startBin, tempDir, writeConfig, type Running } from "../helpers/bin.ts";
import { daemonArgs, onceArgs, startVenue, writeBotConfig } from "../engine/e2e-harness.ts";
import { formatCount, formatDollars2, formatPrice } from "../../src/kalshi/money.ts";
import { Account } from "../../src/sim/accounts.ts";
import { until } from "../helpers/until.ts";

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`SKIPPED browser checks: ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run installs it)`);

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

async function startDashboard(dir: string, args: string[], env: Record<string, string> = {}): Promise<{ d: Running; url: string }> {
  const d = startBin(["dashboard", "--port", "0", "--log-format", "plain", ...args], { cwd: dir, env });
  const out = await d.waitFor(/dashboard: http:\/\/127\.0\.0\.1:\d+\//, 15_000);
  return { d, url: /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]! };
}

async function withBrowser<T>(fn: (ctx: BrowserContext) => Promise<T>): Promise<T> {
  const profile = tempDir("chromium-profile-");
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 1400 },
  });
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

const dollars = (s: string) => (s.startsWith("-") ? `-$${s.slice(1)}` : `$${s}`);

interface StatusJson {
  heartbeat: {
    data: {
      status: string;
      cycle: number;
      bankroll: { cash_dollars: string; portfolio_value_dollars: string; total_dollars: string } | null;
    } | null;
  };
  ledger: string;
  positions: Array<{ ticker: string; position: number; cost_micros: number }>;
  open_orders: Array<{ ticker: string; side: string; price: number; count: number; remaining_count: number; status: string }>;
  today: { date: string; fills: number; fees_dollars: string; realized_pnl_dollars: string; settlements: number };
  totals: { realized_pnl_dollars: string; fees_dollars: string };
}

/** Load the page, wait for its first render, and check every figure against `status --json`. */
async function pageMatchesStatus(url: string, st: StatusJson, shot: string): Promise<void> {
  await withBrowser(async (ctx) => {
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector("body[data-loaded='1']", { timeout: 15_000 });
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text a reader sees
    const t = (id: string) => page.locator(`[data-testid="${id}"]`).innerText();
    const hb = st.heartbeat.data!;
    expect(await t("status")).toBe(hb.status);
    expect(await t("bankroll-total")).toBe(dollars(hb.bankroll!.total_dollars));
    expect(await t("bankroll-cash")).toBe(dollars(hb.bankroll!.cash_dollars));
    expect(await t("bankroll-portfolio")).toBe(dollars(hb.bankroll!.portfolio_value_dollars));
    expect(await t("cycle")).toStartWith(`${hb.cycle} `);
    expect(await t("ledger")).toBe(st.ledger);
    expect(await t("today-fills")).toBe(String(st.today.fills));
    expect(await t("today-fees")).toBe(dollars(st.today.fees_dollars));
    expect(await t("today-realized")).toBe(dollars(st.today.realized_pnl_dollars));
    expect(await t("total-realized")).toBe(dollars(st.totals.realized_pnl_dollars));
    expect(await t("total-fees")).toBe(dollars(st.totals.fees_dollars));
    expect(await t("positions-count")).toBe(String(st.positions.length));
    expect(await t("orders-count")).toBe(String(st.open_orders.length));
    const cells = (tbody: string) =>
      page
        .locator(`[data-testid="${tbody}"] tr`)
        .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
    const posRows = await cells("positions");
    if (st.positions.length) {
      expect(posRows.map((r) => [r[0], r[1], r[2]])).toEqual(
        st.positions.map((p) => [p.ticker, formatCount(p.position), `$${formatDollars2(p.cost_micros)}`]),
      );
    }
    const orderRows = await cells("orders");
    if (st.open_orders.length) {
      expect(orderRows.map((r) => [r[0], r[1], r[2], r[3], r[4]])).toEqual(
        st.open_orders.map((o) => [
          o.ticker,
          o.side,
          `${formatCount(o.remaining_count)} / ${formatCount(o.count)}`,
          formatPrice(o.price),
          o.status,
        ]),
      );
    }
    // The equity chart is drawn (uPlot, bundled in the binary) when there are balance snapshots.
    expect(await page.locator("[data-testid='equity-chart'] canvas").count()).toBeGreaterThan(0);
    expect(await t("error")).toBe("");
    expect(errors).toEqual([]);
    mkdirSync(join(ROOT, "test-results"), { recursive: true });
    await page.screenshot({ path: join(ROOT, "test-results", shot), fullPage: true });
  });
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse the exposition text, checking its shape: HELP and TYPE before each family's samples. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  expect(text.endsWith("\n")).toBe(true);
  for (const line of text.split("\n").filter(Boolean)) {
    let m = /^# HELP (\w+) .+$/.exec(line);
    if (m) {
      expect(helps.has(m[1]!)).toBe(false);
      helps.add(m[1]!);
      continue;
    }
    m = /^# TYPE (\w+) (counter|gauge|histogram)$/.exec(line);
    if (m) {
      expect(helps.has(m[1]!)).toBe(true);
      types.set(m[1]!, m[2]!);
      continue;
    }
    m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(m, `not a sample line: ${line}`).not.toBeNull();
    const name = m![1]!;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
    expect(types.has(family), `sample before its TYPE: ${line}`).toBe(true);
    const labels: Record<string, string> = {};
    for (const l of (m![2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const value = m![3] === "+Inf" ? Infinity : Number(m![3]);
    expect(Number.isNaN(value)).toBe(false);
    samples.push({ name, labels, value });
  }
  return { samples, types };
}

const one = (s: Sample[], name: string, labels: Record<string, string> = {}) => {
  const hit = s.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  expect(hit.length, `${name} ${JSON.stringify(labels)}`).toBe(1);
  return hit[0]!.value;
};

describe("dashboard and /metrics through the binary", () => {
  test.skipIf(!HAVE_CHROMIUM)(
    "dry-run ledger: the page in chromium shows what status --json says",
    async () => {
      const dir = tempDir("dash-dry");
      // The market maker (shipped disabled) enabled, so the page has paper orders and positions to show.
      writeConfig(dir, { paths: { lock_file: "bot.lock" }, trading: { dry_run: true, strategies: { market_maker: { enabled: true } } } });
      const r = await runBin(["--mode", "trade", "--once", "--skip-setup-wizard", "--non-interactive"], { cwd: dir, timeoutMs: 90_000 });
      expect(r.code, r.output).toBe(0);
      const st = JSON.parse((await runBin(["status", "--json"], { cwd: dir })).stdout) as StatusJson;
      expect(st.ledger).toBe("paper");
      const { d, url } = await startDashboard(dir, []);
      await pageMatchesStatus(url, st, "dashboard-dry-run.png");
      expect(await d.stop()).toBe(0);
    },
    180_000,
  );

  test("live ledger against the local exchange: page equals status --json, /metrics equals the ledger", async () => {
    const dir = tempDir("dash-live");
    const v = await startVenue(dir, { seed: 61 });
    try {
      // Quotes left resting between the runs (cancel_on_exit false), so the market fills some of them
      // and the page has open orders to show.
      // Quotes left resting between the runs (cancel_on_exit false). After the first run another
      // account takes one of them, so the ledger has a fill to count whatever the scenario's own
      // traders do, and the page has open orders to show.
      const cfg = writeBotConfig(dir, v, { trading: { cancel_on_exit: false } });
      v.sim.exchange.addAccount(new Account("dash-taker", 1_000_000_000_000, null, null, true));
      for (let i = 0; i < 3; i++) {
        const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 90_000 });
        expect(r.code, r.output).toBe(0);
        if (i === 0) {
          const bot = v.sim.exchange.accountsByKey.get(v.keyId)!;
          const quote = [...bot.resting.values()].flatMap((set) => [...set]).find((o) => o.side === "bid");
          expect(quote).toBeDefined();
          // Every bid at our price or better: the whole level ours rests in, queue and all.
          let ahead = 0;
          for (const [price, level] of v.sim.exchange.book(quote!.ticker).bids.levels) if (price >= quote!.price) ahead += level.total;
          v.sim.exchange.placeOrder("dash-taker", {
            ticker: quote!.ticker,
            side: "ask",
            price: quote!.price,
            count: ahead,
            tif: "immediate_or_cancel",
            stp: "taker_at_cross",
          });
        }
        v.step(20_000);
      }
      const st = JSON.parse((await runBin(["status", "--json", "--config", cfg], { cwd: dir })).stdout) as StatusJson;
      expect(st.ledger).toBe("live");
      const { d, url } = await startDashboard(dir, ["--config", cfg]);
      if (HAVE_CHROMIUM) await pageMatchesStatus(url, st, "dashboard-live.png");

      const res = await fetch(`${url}metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      const { samples, types } = parseExposition(await res.text());
      const db = new Database(join(dir, "data/kalshi.sqlite"), { readonly: true });
      try {
        const q = <T>(sql: string) => db.query(sql).get() as T;
        const fills = q<{ n: number; c: number; fee: number }>(
          "select count(*) n, coalesce(sum(count),0) c, coalesce(sum(fee_micros),0) fee from fills where paper = 0",
        );
        expect(fills.n).toBeGreaterThan(0);
        expect(types.get("kalshi_bot_fills_total")).toBe("counter");
        expect(one(samples, "kalshi_bot_fills_total", { book: "live" })).toBe(fills.n);
        expect(one(samples, "kalshi_bot_filled_contracts_total", { book: "live" })).toBeCloseTo(fills.c / 100, 9);
        expect(one(samples, "kalshi_bot_fees_dollars_total", { kind: "fill", book: "live" })).toBeCloseTo(fills.fee / 1e6, 9);
        for (const s of ["resting", "executed", "canceled", "rejected", "unknown", "pending"]) {
          const n = q<{ n: number }>(`select count(*) n from orders where paper = 0 and status = '${s}'`).n;
          expect(one(samples, "kalshi_bot_orders_total", { status: s, book: "live" })).toBe(n);
        }
        const cash = q<{ cash_micros: number; portfolio_value_micros: number }>(
          "select cash_micros, portfolio_value_micros from balance_snapshots where paper = 0 order by id desc limit 1",
        );
        expect(one(samples, "kalshi_bot_cash_dollars", { book: "live" })).toBeCloseTo(cash.cash_micros / 1e6, 9);
        expect(one(samples, "kalshi_bot_portfolio_value_dollars", { book: "live" })).toBeCloseTo(cash.portfolio_value_micros / 1e6, 9);
        const pos = q<{ r: number; cost: number }>(
          "select coalesce(sum(realized_pnl_micros),0) r, coalesce(sum(case when position != 0 then cost_micros else 0 end),0) cost from positions where paper = 0",
        );
        expect(one(samples, "kalshi_bot_realized_pnl_dollars", { book: "live" })).toBeCloseTo(pos.r / 1e6, 9);
        expect(one(samples, "kalshi_bot_exposure_dollars", { book: "live" })).toBeCloseTo(pos.cost / 1e6, 9);
        expect(one(samples, "kalshi_bot_unrealized_pnl_dollars", { book: "live" })).toBeCloseTo(
          (cash.portfolio_value_micros - pos.cost) / 1e6,
          9,
        );
        // Cycles: the histogram's buckets are cumulative, +Inf equals _count equals the ledger's
        // finished cycles, _sum their total duration.
        const cyc = q<{ n: number; s: number }>(
          "select count(*) n, coalesce(sum(ended_at - started_at),0) s from cycles where dry_run = 0 and ended_at is not null",
        );
        expect(cyc.n).toBe(3);
        expect(types.get("kalshi_bot_cycle_duration_seconds")).toBe("histogram");
        const buckets = samples.filter((s) => s.name === "kalshi_bot_cycle_duration_seconds_bucket");
        expect(buckets.at(-1)!.labels.le).toBe("+Inf");
        for (let i = 1; i < buckets.length; i++) {
          expect(Number(buckets[i]!.labels.le === "+Inf" ? Infinity : buckets[i]!.labels.le)).toBeGreaterThan(
            Number(buckets[i - 1]!.labels.le),
          );
          expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
        }
        expect(buckets.at(-1)!.value).toBe(cyc.n);
        expect(one(samples, "kalshi_bot_cycle_duration_seconds_count")).toBe(cyc.n);
        expect(one(samples, "kalshi_bot_cycle_duration_seconds_sum")).toBeCloseTo(cyc.s / 1000, 9);
        expect(one(samples, "kalshi_bot_cycles_total", { status: "active", book: "live" })).toBe(3);
      } finally {
        db.close();
      }
      // Heartbeat and risk state as the heartbeat says.
      expect(one(samples, "kalshi_bot_heartbeat_present")).toBe(1);
      expect(one(samples, "kalshi_bot_heartbeat_age_seconds")).toBeGreaterThanOrEqual(0);
      expect(one(samples, "kalshi_bot_status", { status: st.heartbeat.data!.status })).toBe(1);
      expect(samples.filter((s) => s.name === "kalshi_bot_status" && s.value === 1).length).toBe(1);
      expect(one(samples, "kalshi_bot_risk_state", { state: "active", book: "live" })).toBe(1);
      expect(one(samples, "kalshi_bot_open_orders")).toBe(st.open_orders.length);
      expect(one(samples, "kalshi_bot_cycle")).toBe(st.heartbeat.data!.cycle);
      expect(one(samples, "kalshi_bot_paused")).toBe(0);
      // Every series the sample Grafana dashboard queries is one the binary exports.
      const grafana = readFileSync(join(ROOT, "deploy/monitoring/grafana-dashboard.json"), "utf8");
      JSON.parse(grafana);
      const exported = new Set(samples.map((s) => s.name));
      const queried = new Set(grafana.match(/kalshi_bot_\w+/g));
      expect(queried.size).toBeGreaterThan(10);
      for (const name of queried) expect(exported.has(name), name).toBe(true);
      // Nothing but GET, nothing unknown.
      expect((await fetch(`${url}metrics`, { method: "POST" })).status).toBe(405);
      expect((await fetch(`${url}nope`)).status).toBe(404);
      expect(await d.stop()).toBe(0);
    } finally {
      await v.stop();
    }
  }, 240_000);

  test("daemon with dashboard.enabled serves the page and /metrics while it trades; a busy port is a warning, not a stop", async () => {
    const dir = tempDir("dash-daemon");
    const v = await startVenue(dir, { seed: 62 });
    const stopDrive = v.drive(200, 2_000);
    const squatter = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("someone else") });
    try {
      const cfg = writeBotConfig(dir, v);
      const withDashboard = (port: number) => {
        const c = JSON.parse(readFileSync(cfg, "utf8"));
        writeFileSync(cfg, JSON.stringify({ ...c, dashboard: { enabled: true, port } }, null, 2));
      };
      withDashboard(squatter.port!);
      const busy = startBin(daemonArgs(cfg, dir), { cwd: dir });
      await busy.waitFor(
        /dashboard not started: dashboard cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)[^\n]*; trading goes on/,
        30_000,
      );
      await busy.waitFor(/cycle 2 \(trade, LIVE\)/, 30_000);
      expect(await busy.stop("SIGTERM", 20_000)).toBe(0);

      withDashboard(0);
      const bot = startBin(daemonArgs(cfg, dir), { cwd: dir });
      const out = await bot.waitFor(/dashboard: http:\/\/127\.0\.0\.1:\d+\//, 30_000);
      const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]!;
      const cycleOf = async () => {
        const text = await (await fetch(`${url}metrics`)).text();
        const m = /^kalshi_bot_cycle (\d+)$/m.exec(text);
        // The share of the budget needs heartbeats a second or more apart.
        return m && text.includes("kalshi_bot_rate_limit_use_ratio{") ? Number(m[1]) : 0;
      };
      // Served from inside the trading process, read-only: cycles go on while it answers.
      const c = await until(
        "cycle 3 and the rate-limit use on /metrics",
        async () => {
          const n = await cycleOf();
          return n >= 3 ? n : null;
        },
        30_000,
        { pollMs: 200 },
      );
      expect(c).toBeGreaterThanOrEqual(3);
      const state = (await (await fetch(`${url}api/state`)).json()) as {
        status: { heartbeat: { data: { pid: number; status: string } }; lock: { held: boolean } };
      };
      expect(state.status.heartbeat.data.pid).toBe(bot.pid);
      expect(state.status.lock.held).toBe(true);
      expect(await bot.stop("SIGTERM", 20_000)).toBe(0);

      // Rate-limit use: the stopped daemon's last heartbeat holds its counters; the page (served by a
      // standalone dashboard on the same files) and /metrics show exactly those.
      const hb = JSON.parse(readFileSync(join(dir, "reports", "heartbeat.json"), "utf8"));
      const rc = hb.counters;
      expect(rc.read_tokens).toBeGreaterThan(0);
      expect(rc.read_budget_per_second).toBeGreaterThan(0);
      expect(rc.use_window_seconds).toBeGreaterThanOrEqual(1);
      expect(rc.read_use).toBeGreaterThan(0);
      // The tokens the share stands for were spent in the window, so no more than in all (a float's
      // last bit aside).
      expect(rc.read_use * rc.use_window_seconds * rc.read_budget_per_second).toBeLessThanOrEqual(rc.read_tokens + 1e-9);
      const solo = await startDashboard(dir, ["--config", cfg]);
      try {
        const { samples } = parseExposition(await (await fetch(`${solo.url}metrics`)).text());
        expect(one(samples, "kalshi_bot_rate_limit_tokens_total", { bucket: "read" })).toBe(rc.read_tokens);
        expect(one(samples, "kalshi_bot_rate_limit_tokens_total", { bucket: "write" })).toBe(rc.write_tokens);
        expect(one(samples, "kalshi_bot_rate_limit_budget_tokens_per_second", { bucket: "read" })).toBe(rc.read_budget_per_second);
        expect(one(samples, "kalshi_bot_rate_limit_use_ratio", { bucket: "read" })).toBe(rc.read_use);
        expect(one(samples, "kalshi_bot_rate_limit_use_ratio", { bucket: "write" })).toBe(rc.write_use);
        if (HAVE_CHROMIUM)
          await withBrowser(async (ctx) => {
            const page = await ctx.newPage();
            await page.goto(solo.url);
            await page.waitForSelector("body[data-loaded='1']", { timeout: 15_000 });
            // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text a reader sees
            const text = await page.locator('[data-testid="rate-limit"]').innerText();
            const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
            expect(text).toContain(`read ${pct(rc.read_use)} of ${rc.read_budget_per_second}/s`);
            expect(text).toContain(
              `write ${pct(rc.write_use)} of ${rc.write_budget_per_second}/s over ${Math.round(rc.use_window_seconds)} s`,
            );
            expect(text).toContain(`${rc.rate_limit_waits} waits`);
            expect(text).toContain(`${rc.rate_limited_429} × 429`);
            expect(text).toContain(`${rc.ws_reconnects} reconnects, ${rc.ws_seq_gaps} seq gaps`);
            mkdirSync(join(ROOT, "test-results"), { recursive: true });
            await page.screenshot({ path: join(ROOT, "test-results", "dashboard-daemon.png"), fullPage: true });
          });
      } finally {
        expect(await solo.d.stop()).toBe(0);
      }
    } finally {
      squatter.stop(true);
      stopDrive();
      await v.stop();
    }
  }, 180_000);

  test("beyond loopback only with a token; with a token every data request needs it", async () => {
    const dir = tempDir("dash-token");
    writeConfig(dir, { paths: { lock_file: "bot.lock" } });
    const refused = await runBin(["dashboard", "--host", "0.0.0.0", "--port", "0"], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("dashboard.host 0.0.0.0 is not a loopback address: set dashboard.token");
    expect(refused.output).not.toContain("    at ");
    const short = await runBin(["dashboard", "--port", "0"], { cwd: dir, env: { KALSHI_BOT_DASHBOARD_TOKEN: "short" } });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("shorter than 16 characters");
    const badPort = await runBin(["dashboard", "--port", "http"], { cwd: dir });
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain("--port must be a whole number");

    const token = "t0ken-for-the-dashboard-test-0123456789";
    const { d, url } = await startDashboard(dir, [], { KALSHI_BOT_DASHBOARD_TOKEN: token });
    expect((await fetch(`${url}metrics`)).status).toBe(401);
    expect((await fetch(`${url}api/state`, { headers: { authorization: "Bearer wrong-token-wrong-token-0000000" } })).status).toBe(401);
    const ok = await fetch(`${url}metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("kalshi_bot_heartbeat_present 0");
    expect((await fetch(`${url}api/state?token=${token}`)).status).toBe(200);
    // The page and its assets hold no data: served without the token.
    expect((await fetch(url)).status).toBe(200);
    expect(await (await fetch(`${url}uplot.js`)).text()).toContain("uPlot");
    expect(d.output()).not.toContain(token);
    expect(await d.stop()).toBe(0);
  }, 60_000);
});
