// `kalshi-bot fetch-history --series S --from D --to D --out DIR`: download a series' settled events,
// their markets and trades from the configured exchange into the tape folder `backtest --data`
// reads (src/history/). Resumable: re-running continues where an interrupted run stopped.
import { resolve } from "node:path";
import { defineCommand } from "citty";
import { configArgs, EXIT, guarded, UserError } from "./shared.ts";
import { loadOrExplain } from "./config.ts";
import { progressBar } from "./backtest.ts";
import { configuredBaseUrl, openSession } from "../engine/exchange-session.ts";
import { isKalshiApiError } from "../kalshi/index.ts";
import { FetchHistoryError, fetchHistory } from "../history/fetch.ts";
import { log } from "../ops/log.ts";
import { COMMAND_META } from "./command-meta.ts";

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const SERIES = /^[A-Z0-9][A-Z0-9._-]*$/;

function day(v: string | undefined, name: string): string {
  if (v === undefined)
    throw new UserError(`fetch-history needs --${name} YYYY-MM-DD (the ${name === "from" ? "first" : "last"} event date to fetch)`);
  const t = DAY.test(v) ? Date.parse(`${v}T00:00:00Z`) : NaN;
  if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 10) !== v)
    throw new UserError(`--${name} ${v}: expected a date such as 2024-11-01`);
  return v;
}

export default defineCommand({
  meta: COMMAND_META["fetch-history"],
  args: {
    series: {
      type: "string",
      description: "Series ticker, e.g. KXHIGHNY (a daily series: the tape holds one event per day)",
      valueHint: "TICKER",
    },
    from: { type: "string", description: "First event date (YYYY-MM-DD)", valueHint: "DATE" },
    to: { type: "string", description: "Last event date (YYYY-MM-DD)", valueHint: "DATE" },
    out: {
      type: "string",
      description: "Tape folder to write (events/, trades/, candles/ and the resume state .fetch-history.json)",
      valueHint: "DIR",
    },
    ...configArgs,
  },
  run: guarded(async ({ args }) => {
    if (!args.series) throw new UserError("fetch-history needs --series TICKER, e.g. --series KXHIGHNY");
    if (!SERIES.test(args.series)) throw new UserError(`--series ${args.series}: expected a series ticker in capitals, e.g. KXHIGHNY`);
    const from = day(args.from, "from");
    const to = day(args.to, "to");
    if (from > to) throw new UserError(`--from ${from} is after --to ${to}; swap them`);
    if (!args.out) throw new UserError("fetch-history needs --out DIR, the tape folder to write (then: kalshi-bot backtest --data DIR)");
    const loaded = loadOrExplain(args, { readOnly: true });
    if (configuredBaseUrl(loaded.config.exchange) === null) {
      throw new UserError(
        'exchange.environment is "sim" without base_url: a fresh embedded exchange has no history; set exchange.base_url to a running `kalshi-bot sim`, or use demo or production',
      );
    }
    const session = await openSession(loaded, (level, msg) => log[level](msg));
    const out = resolve(args.out);
    const bar = progressBar();
    const ac = new AbortController();
    const stop = () => ac.abort(new Error("interrupted"));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    let res;
    try {
      res = await fetchHistory(session.client, {
        series: args.series,
        from,
        to,
        out,
        signal: ac.signal,
        onProgress: (d, t) => bar.update("fetching", d, t),
      });
    } catch (e) {
      bar.done();
      if (e instanceof FetchHistoryError) throw new UserError(e.message);
      if (ac.signal.aborted)
        throw new UserError(
          `interrupted; what was written in ${out} is complete, and the same command continues from there`,
          EXIT.INTERRUPTED,
        );
      if (isKalshiApiError(e))
        throw new UserError(
          `the exchange failed (${e.message}); what was written in ${out} is complete, and the same command continues from there`,
          EXIT.EXCHANGE,
        );
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EACCES" || code === "ENOSPC" || code === "EROFS" || code === "ENOTDIR" || code === "EEXIST")
        throw new UserError(`--out ${out}: cannot write (${code}); pick a writable folder`);
      throw e;
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      await session.close();
    }
    bar.done();
    const lines = [
      `fetch-history ${args.series} ${from} to ${to} -> ${out}`,
      `  written: ${res.written.length} event(s), ${res.trades} trade(s)${res.resumed.length ? `; already complete: ${res.resumed.length}` : ""}`,
    ];
    lines.push(`  candles: ${res.candles} one-minute candle(s) written to candles/`);
    if (res.unsettled.length) lines.push(`  not settled yet (fetch again later): ${res.unsettled.join(", ")}`);
    if (res.subCent || res.fractional)
      lines.push(
        `  left out (the cent tape format cannot carry them): ${res.subCent} sub-cent, ${res.fractional} fractional-count trade(s)`,
      );
    lines.push(`  next: kalshi-bot backtest --data ${args.out}`);
    process.stdout.write(lines.join("\n") + "\n");
  }),
});
