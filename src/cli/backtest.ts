// `kalshi-bot backtest --data DIR`: replay a recorded trade tape (the kxhighny format) through the
// bot's strategies, risk gate, order manager and paper fill model on a simulated clock, and report
// what it would have made (src/backtest/). Reads the strategies, risk limits and bankroll
// (sim.balance_dollars) from the config; touches no database, no exchange, no network.
import { mkdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { defineCommand } from "citty";
import { configArgs, guarded, UserError } from "./shared.ts";
import { loadOrExplain } from "./config.ts";
import { TapeError } from "../backtest/tape.ts";
import { FORMATS, loadData, type DataFormat, type LoadedData } from "../backtest/input.ts";
import { replay } from "../backtest/replay.ts";
import { renderText, summarize, writeOutputs } from "../backtest/report.ts";
import { multiplierE4 } from "../kalshi/money.ts";
import { parseProbabilities } from "../strategies/index.ts";
import { COMMAND_META } from "./command-meta.ts";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function seconds(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0)
    throw new UserError(`--${name} ${v}: expected a number of seconds above 0, e.g. --${name} ${dflt}`);
  return Number(v);
}

/** A progress bar on stderr, only on a terminal; `done` clears it. */
export function progressBar(): { update: (label: string, done: number, total: number) => void; done: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, done: () => {} };
  let last = "";
  return {
    update(label, done, total) {
      const w = 30;
      const f = total ? Math.min(w, Math.round((done / total) * w)) : w;
      const line = `${label} [${"#".repeat(f)}${"-".repeat(w - f)}] ${total ? Math.floor((done / total) * 100) : 100}%`;
      if (line !== last) process.stderr.write(`\r${line}`);
      last = line;
    },
    done() {
      if (last) process.stderr.write(`\r${" ".repeat(last.length)}\r`);
    },
  };
}

export default defineCommand({
  meta: COMMAND_META.backtest,
  args: {
    data: {
      type: "string",
      description: "A trade tape (events/ and trades/ YYYY-MM-DD.json.gz, the kxhighny format) or a folder `kalshi-bot record` wrote",
      valueHint: "DIR",
    },
    format: { type: "string", description: "What --data holds: tape or recording (default: told from the folder)", valueHint: "FORMAT" },
    out: {
      type: "string",
      description: "Folder for summary.json, fills.csv, events.csv, strategies.csv, equity.csv and equity.svg (default ./backtest-out)",
      valueHint: "DIR",
    },
    from: { type: "string", description: "First event date to replay (YYYY-MM-DD)", valueHint: "DATE" },
    to: { type: "string", description: "Last event date to replay (YYYY-MM-DD)", valueHint: "DATE" },
    step: {
      type: "string",
      description: "Least simulated seconds between two passes of the strategies (default: trading.cycle_interval_seconds)",
      valueHint: "SECONDS",
    },
    "book-window": {
      type: "string",
      description: "Seconds a price level seen on a tape stays in the book (default 300; a recording has the real book)",
      valueHint: "SECONDS",
    },
    "fee-multiplier": {
      type: "string",
      description: "The series' taker fee multiplier (the tape does not carry it; default 1)",
      valueHint: "X",
    },
    ...configArgs,
  },
  run: guarded(async ({ args }) => {
    if (!args.data)
      throw new UserError(
        "backtest needs --data DIR, a folder with events/ and trades/ (e.g. --data ../shared/data/kxhighny or test/fixtures/kxhighny-sample)",
      );
    const format = args.format;
    if (format !== undefined && !(FORMATS as readonly string[]).includes(format))
      throw new UserError(`--format ${format}: expected tape or recording`);
    for (const k of ["from", "to"] as const)
      if (args[k] !== undefined && !DAY.test(args[k])) throw new UserError(`--${k} ${args[k]}: expected a date such as 2024-11-01`);
    const loaded = loadOrExplain(args, { readOnly: true });
    // A pass of the replay stands for a cycle of the bot: as often as the config runs them.
    const stepMs = seconds(args.step, "step", loaded.config.trading.cycle_interval_seconds) * 1000;
    const bookWindowMs = seconds(args["book-window"], "book-window", 300) * 1000;
    const fm = args["fee-multiplier"];
    if (fm !== undefined && !/^\d+(\.\d{1,4})?$/.test(fm))
      throw new UserError(`--fee-multiplier ${fm}: expected a number such as 1 or 0.5`);
    // fair_value's probabilities come from its file, as in a run (meant for the tape's markets); a
    // backtest fetches nothing.
    const fv = loaded.config.trading.strategies.fair_value;
    let probabilities: ReadonlyMap<string, number> | undefined;
    if (fv.enabled && fv.source) {
      if (/^https?:/.test(fv.source))
        throw new UserError(
          `fair_value.source is a URL (${fv.source}): a backtest fetches nothing; point it at a JSON file of probabilities for the tape's markets, or disable fair_value`,
        );
      const p = isAbsolute(fv.source) ? fv.source : join(loaded.baseDir, fv.source);
      try {
        probabilities = parseProbabilities(readFileSync(p, "utf8"));
      } catch (e) {
        throw new UserError(`fair_value.source ${p}: ${(e as Error).message}; fix the file or disable fair_value`);
      }
    }
    const out = resolve(args.out ?? "backtest-out");
    const bar = progressBar();
    let data: LoadedData;
    try {
      data = loadData(args.data, format as DataFormat | undefined, {
        ...(args.from ? { from: args.from } : {}),
        ...(args.to ? { to: args.to } : {}),
        bookWindowMs,
        onFile: (d, t) => bar.update("loading ", d, t),
      });
    } catch (e) {
      bar.done();
      if (e instanceof TapeError) throw new UserError(e.message);
      throw e;
    }
    try {
      mkdirSync(out, { recursive: true });
    } catch (e) {
      bar.done();
      throw new UserError(
        `--out ${out}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pick a writable folder`,
      );
    }
    const src = data.source;
    const result = await replay(src, loaded, {
      stepMs,
      feeType: "quadratic",
      feeMultiplierE4: fm === undefined ? 10_000 : multiplierE4(fm),
      ...(probabilities ? { probabilities } : {}),
      onProgress: (d, t) => bar.update("replaying", d, t),
    });
    bar.done();
    const summary = summarize(result, src.events, src.trades, { format: data.format, leftOut: data.leftOut });
    let files: string[];
    try {
      files = writeOutputs(out, summary, result);
    } catch (e) {
      throw new UserError(
        `--out ${out}: cannot write the results (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pick a writable folder`,
      );
    }
    process.stdout.write(renderText(summary, files));
  }),
});
