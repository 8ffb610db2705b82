// A broken arbitrage set, provoked on purpose, through the binary: a proxy between the bot and the
// local exchange lets everything through except one leg of the first arbitrage batch, whose ticker
// it changes so the exchange rejects that leg alone (the others fill, fill-or-kill). The set is now
// naked: some legs held, one missing. The repair path must run at the next cycle and either complete
// the set (buy the missing leg) or unwind it (sell the excess), with an audit record, and leave every
// leg of the event balanced; the ledger must agree with the exchange throughout.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { cleanup, ensureBinary, runBin, tempDir } from "../helpers/bin.ts";
import { duplicateClientIds, exchangeAccount, onceArgs, readLedger, startVenue, writeBotConfig } from "./e2e-harness.ts";

beforeAll(() => ensureBinary(), 180_000);
afterAll(() => cleanup());

interface Sabotage {
  clientOrderId: string;
  ticker: string;
  legs: string[];
}

describe("engine e2e: a broken arbitrage set is repaired", () => {
  // complete: the missing leg can still be bought at a price that beats unwinding.
  // unwind: right after the break (before the bot hears back) every ask of the missing leg leaves
  // the book, as if its makers left: the completion the bot tries from its cycle's view finds
  // nothing (fill-or-kill), and the held legs must be sold back.
  test.each(["complete", "unwind"] as const)(
    "one leg rejected, the others filled → %s (then whatever the book allows), audited, legs balanced, ledger == exchange",
    async (mode) => {
      const dir = tempDir(`e2e-arb-${mode}`);
      const v = await startVenue(dir, { seed: 61 });
      const target = new URL(v.sim.baseUrl);
      let sabotage: Sabotage | null = null;
      let pulled = false;
      const proxy = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        async fetch(req) {
          const u = new URL(req.url);
          let body: ArrayBuffer | string | undefined = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
          if (!sabotage && req.method === "POST" && u.pathname.endsWith("/portfolio/events/orders/batched") && body) {
            const j = JSON.parse(new TextDecoder().decode(body)) as { orders: Array<Record<string, unknown>> };
            const legs = j.orders.filter((o) => o.time_in_force === "fill_or_kill");
            if (legs.length >= 3) {
              const victim = legs.at(-1)!;
              sabotage = {
                clientOrderId: String(victim.client_order_id),
                ticker: String(victim.ticker),
                legs: legs.map((l) => String(l.ticker)),
              };
              // A market that does not exist: the exchange rejects this item only.
              victim.ticker = `${victim.ticker}-NOPE`;
              body = JSON.stringify(j);
            }
          }
          const headers = new Headers(req.headers);
          headers.delete("content-length");
          const justBroke = sabotage !== null && !pulled;
          const r = await fetch(`${target.origin}${u.pathname}${u.search}`, { method: req.method, headers, body });
          const answer = await r.arrayBuffer();
          if (justBroke && mode === "unwind") {
            // Before the bot hears back: every ask of the missing leg leaves the book.
            pulled = true;
            const victim = (sabotage as unknown as Sabotage).ticker;
            for (const l of [...v.sim.exchange.book(victim).side("ask").levels.values()])
              for (const o of [...l.orders]) v.sim.exchange.cancelResting(o, "Cancel");
          }
          if (justBroke) pulled = true;
          return new Response(answer, { status: r.status, headers: r.headers });
        },
      });
      try {
        // The order group's burst cap counts wall-clock seconds while this test squeezes minutes of
        // market into seconds; a 1,000-contract group keeps the cap out of the way (tested elsewhere).
        const cfg = writeBotConfig(dir, v, {
          exchange: { base_url: `http://127.0.0.1:${proxy.port}` },
          risk: { max_contracts_per_order: 100 },
        });
        const dbPath = join(dir, "data/kalshi.sqlite");
        let out = "";
        let afterSabotage = 0;
        // complete: the market stands still after the break, so the repair meets the book that broke
        // it. unwind: the legs are sold into the bids there are; where a leg has none, the market has
        // to move (makers come back) before the rest can go (or the set is completed again instead,
        // if the asks come back first: either way it ends balanced).
        const runsAfter = mode === "complete" ? 3 : 8;
        // Up to 30 runs for a set to break (the market must first offer one), then runsAfter runs after it.
        for (let i = 0; afterSabotage < runsAfter && (sabotage !== null || i < 30); i++) {
          const r = await runBin(onceArgs(cfg, dir), { cwd: dir, timeoutMs: 60_000 });
          expect(r.code).toBe(0);
          out += r.output;
          if (sabotage) afterSabotage++;
          // unwind: still for one run after the break (the missing leg has no asks: unwind starts),
          // then moving, so bids return for whatever could not be sold yet.
          if (!sabotage || (mode === "unwind" && afterSabotage >= 2)) v.step(7_000);
        }
        expect(sabotage).not.toBeNull();
        const s = sabotage as unknown as Sabotage;
        // One quiet run (nothing in scope) reconciles the last run's fills into the ledger.
        const quiet = writeBotConfig(
          dir,
          v,
          { exchange: { base_url: `http://127.0.0.1:${proxy.port}` }, trading: { series_tickers: ["NONE-IN-SCOPE"] } },
          "quiet.json",
        );
        expect((await runBin(onceArgs(quiet, dir), { cwd: dir, timeoutMs: 60_000 })).code).toBe(0);

        const db = new Database(dbPath, { readonly: true });
        let groupKey: string;
        let repairs: Array<{ message: string }>;
        let legRows: Array<{ ticker: string; status: string; filled_count: number; reason: string; error: string | null }>;
        try {
          const victim = db.query("select group_key, status, error from orders where client_order_id = ?").get(s.clientOrderId) as {
            group_key: string;
            status: string;
            error: string | null;
          };
          expect(victim.status).toBe("rejected");
          groupKey = victim.group_key;
          repairs = db.query("select message from audit_log where kind = 'arb_repair' and message like ?").all(`${groupKey}:%`) as Array<{
            message: string;
          }>;
          legRows = db
            .query("select ticker, status, filled_count, reason, error from orders where group_key = ? order by id")
            .all(groupKey) as typeof legRows;
        } finally {
          db.close();
        }
        const ledger = readLedger(dbPath, false);
        // The set's own legs (a batch may carry sets of several events: only the broken one is repaired).
        const setLegs = [...new Set(legRows.map((r) => r.ticker))];
        expect(setLegs).toContain(s.ticker);
        const held = setLegs.map((t) => ledger.positions.get(t) ?? 0);
        console.log(
          [
            `broken set ${groupKey}: leg ${s.ticker} rejected by the exchange, ${setLegs.length - 1} legs of the set filled (${s.legs.length} fill-or-kill orders in the batch)`,
            ...repairs.map((r) => `  audit arb_repair: ${r.message}`),
            ...legRows.map(
              (r) =>
                `  order ${r.ticker} ${r.status} filled ${r.filled_count / 100}${r.error ? ` (${r.error.slice(0, 60)})` : ""} — ${r.reason.slice(0, 70)}`,
            ),
            `  positions per leg after repair: ${setLegs.map((t, i) => `${t.split("-").at(-1)} ${held[i]! / 100}`).join(", ")}`,
          ].join("\n"),
        );
        // The repair ran and was recorded.
        expect(repairs.length).toBeGreaterThanOrEqual(1);
        expect(repairs.some((r) => new RegExp(`: ${mode} \\(`).test(r.message))).toBe(true);
        // Nothing left naked: every leg of the set holds the same position (complete: n sets;
        // unwound: the excess sold back down to what the shortest leg holds, usually zero).
        expect(new Set(held).size).toBe(1);
        // Every repair order is in the ledger under the set's key, and the ledger equals the exchange.
        const ex = exchangeAccount(v);
        expect(duplicateClientIds(v)).toEqual([]);
        const known = new Set(ledger.orders.map((o) => o.client_order_id));
        expect(ex.orders.filter((o) => !known.has(o.clientOrderId)).map((o) => o.clientOrderId)).toEqual([]);
        expect(Object.fromEntries(ledger.positions)).toEqual(Object.fromEntries(ex.positions));
        expect(ledger.cashMicros).toBe(ex.cashMicros);
        expect(out).toMatch(/arbitrage set .* filled unevenly: (complete|unwind)/);
      } finally {
        proxy.stop(true);
        await v.stop();
      }
    },
    300_000,
  );
});
