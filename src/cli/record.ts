// `kalshi-bot record --series S[,S…] --out DIR [--duration SECONDS]`: record the series' WebSocket
// streams and market metadata from the configured exchange into hourly gzip JSONL files
// (src/history/record.ts) until Ctrl+C / SIGTERM or the duration ends. Re-running appends.
import { resolve } from "node:path";
import { defineCommand } from "citty";
import { configArgs, guarded, UserError } from "./shared.ts";
import { loadOrExplain } from "./config.ts";
import { configuredBaseUrl, openSession } from "../engine/exchange-session.ts";
import { isKalshiApiError } from "../kalshi/index.ts";
import { KalshiWs } from "../kalshi/ws.ts";
import { record } from "../history/record.ts";
import { log } from "../ops/log.ts";
import { EXIT } from "../errors.ts";
import { COMMAND_META } from "./command-meta.ts";

const SERIES = /^[A-Z0-9][A-Z0-9._-]*$/;

export default defineCommand({
  meta: COMMAND_META.record,
  args: {
    series: { type: "string", description: "Series tickers, comma-separated, e.g. KXHIGHNY,KXHIGHCHI", valueHint: "TICKERS" },
    out: { type: "string", description: "Folder for the YYYY-MM-DDTHH.jsonl.gz files (appended to on a re-run)", valueHint: "DIR" },
    duration: { type: "string", description: "Stop after this many seconds (default: until Ctrl+C or SIGTERM)", valueHint: "SECONDS" },
    ...configArgs,
  },
  run: guarded(async ({ args }) => {
    if (!args.series) throw new UserError("record needs --series TICKERS, e.g. --series KXHIGHNY");
    const series = args.series.split(",").map((s) => s.trim());
    for (const s of series)
      if (!SERIES.test(s))
        throw new UserError(
          `--series ${args.series}: "${s}" is not a series ticker; give tickers in capitals, comma-separated, e.g. KXHIGHNY,KXHIGHCHI`,
        );
    if (!args.out) throw new UserError("record needs --out DIR, the folder for the recorded files");
    let durationMs: number | null = null;
    if (args.duration !== undefined) {
      if (!/^\d+(\.\d+)?$/.test(args.duration) || Number(args.duration) <= 0)
        throw new UserError(`--duration ${args.duration}: expected a number of seconds above 0, e.g. --duration 3600`);
      durationMs = Number(args.duration) * 1000;
    }
    const loaded = loadOrExplain(args, { readOnly: true });
    if (configuredBaseUrl(loaded.config.exchange) === null) {
      throw new UserError(
        'exchange.environment is "sim" without base_url: set exchange.base_url to a running `kalshi-bot sim`, or use demo or production',
      );
    }
    const session = await openSession(loaded, (level, msg) => log[level](msg));
    const auth = session.wsAuth();
    if (!auth)
      throw new UserError(
        "record needs credentials for Kalshi's WebSocket: set exchange.api_key_id and exchange.private_key_path (or KALSHI_API_KEY_ID and KALSHI_PRIVATE_KEY_PATH)",
      );
    // Seq gaps are written to the recording (and counted at the end), not warned about one by one.
    const ws = new KalshiWs({
      url: session.wsUrl,
      apiKeyId: auth.apiKeyId,
      privateKey: auth.privateKey,
      logger: (level, msg) => log[level === "error" ? "error" : "debug"](msg),
    });
    const out = resolve(args.out);
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const timer = durationMs !== null ? setTimeout(stop, durationMs) : undefined;
    log.info(`record: ${series.join(", ")} -> ${out}`);
    let res;
    try {
      res = await record(session.client, ws, { series, out, signal: ac.signal, onError: (m) => log.warn(m) });
    } catch (e) {
      if (isKalshiApiError(e))
        throw new UserError(`the exchange failed (${e.message}); run the same command again to go on appending`, EXIT.EXCHANGE);
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EACCES" || code === "ENOSPC" || code === "EROFS" || code === "ENOTDIR" || code === "EEXIST")
        throw new UserError(`--out ${out}: cannot write (${code}); pick a writable folder`);
      throw e;
    } finally {
      clearTimeout(timer);
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      await session.close();
    }
    process.stdout.write(`record: ${res.records} record(s) of ${res.markets} market(s) in ${out}; ${res.gaps} seq gap(s) recorded\n`);
  }),
});
