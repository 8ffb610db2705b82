// Append-only, compressed, rotating JSONL: one file per UTC hour (`YYYY-MM-DDTHH.jsonl.gz`), each
// flush appended as its own gzip member (a gzip file may hold several; gunzip and zlib read them
// as one stream). A restart appends to the hour's file; nothing written is ever rewritten.
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export const hourFile = (ms: number): string => `${new Date(ms).toISOString().slice(0, 13)}.jsonl.gz`;

export class RotatingGzipLog {
  private buf: string[] = [];
  private bufFile: string | null = null;
  lines = 0;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Buffer one record stamped at `ms` (wall clock: the file it belongs to). */
  write(ms: number, record: unknown): void {
    const f = hourFile(ms);
    if (this.bufFile !== null && f !== this.bufFile) this.flush();
    this.bufFile = f;
    this.buf.push(JSON.stringify(record));
    this.lines++;
  }

  flush(): void {
    if (this.buf.length === 0 || this.bufFile === null) return;
    appendFileSync(join(this.dir, this.bufFile), gzipSync(this.buf.join("\n") + "\n"));
    this.buf = [];
  }
}
