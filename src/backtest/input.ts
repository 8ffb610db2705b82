// What `backtest --data DIR` reads: a trade tape (events/ and trades/, the kxhighny format,
// tape.ts) or a recording (`kalshi-bot record`'s hourly .jsonl.gz files, recording.ts), told apart
// by what the folder holds unless `--format` says.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadTape, TapeError } from "./tape.ts";
import { isRecordingFile, loadRecording } from "./recording.ts";
import { RecordedSource } from "./recorded-source.ts";
import { TapeSource } from "./tape-source.ts";
import type { ReplaySource } from "./source.ts";

export const FORMATS = ["tape", "recording"] as const;
export type DataFormat = (typeof FORMATS)[number];

/** The folder's format, or a TapeError naming what it holds and what was expected. */
export function detectFormat(dir: string): DataFormat {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new TapeError(
      `--data ${dir}: no such folder; point --data at a trade tape (events/ and trades/) or a folder kalshi-bot record wrote`,
    );
  if (existsSync(join(dir, "events")) || existsSync(join(dir, "trades"))) return "tape";
  if (readdirSync(dir).some(isRecordingFile)) return "recording";
  throw new TapeError(
    `--data ${dir}: neither a trade tape (events/ and trades/ folders of YYYY-MM-DD.json.gz, the kxhighny format) nor a recording (YYYY-MM-DDTHH.jsonl.gz files from kalshi-bot record); point --data at one`,
  );
}

export interface LoadedData {
  format: DataFormat;
  source: ReplaySource;
  /** Events left out for want of a recorded yes/no result on every market. */
  leftOut: string[];
}

export function loadData(
  dir: string,
  format: DataFormat | undefined,
  opts: { from?: string; to?: string; bookWindowMs: number; onFile?: (done: number, total: number) => void },
): LoadedData {
  const f = format ?? detectFormat(dir);
  const range = {
    ...(opts.from ? { from: opts.from } : {}),
    ...(opts.to ? { to: opts.to } : {}),
    ...(opts.onFile ? { onFile: opts.onFile } : {}),
  };
  if (f === "tape") {
    const tape = loadTape(dir, range);
    return { format: f, source: new TapeSource(tape, opts.bookWindowMs), leftOut: tape.leftOut };
  }
  const rec = loadRecording(dir, range);
  if (rec.events.length === 0) {
    const why = rec.leftOut.length
      ? `its ${rec.leftOut.length} event(s) have no recorded result for every market (${rec.leftOut.slice(0, 3).join(", ")}${rec.leftOut.length > 3 ? ", …" : ""}); record until they settle`
      : `it holds no event${opts.from || opts.to ? " in the dates asked" : ""}`;
    throw new TapeError(`--data ${dir}: nothing to replay: ${why}`);
  }
  return { format: f, source: new RecordedSource(rec), leftOut: rec.leftOut };
}
