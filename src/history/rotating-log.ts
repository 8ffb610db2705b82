// Append-only, compressed, rotating JSONL: one file per UTC hour (`YYYY-MM-DDTHH.jsonl.gz`), each
// flush appended as its own gzip member (a gzip file may hold several; gunzip and zlib read them
// as one stream). A restart appends to the hour's file; nothing written is ever rewritten.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";

function readable(path: string): boolean {
  try {
    gunzipSync(readFileSync(path));
    return true;
  } catch {
    return false;
  }
}

export const hourFile = (ms: number): string => `${new Date(ms).toISOString().slice(0, 13)}.jsonl.gz`;

export class RotatingGzipLog {
  private buf: string[] = [];
  private bufFile: string | null = null;
  /** Hour file name → the file this writer appends to (itself, or a sibling when it is damaged). */
  private readonly target = new Map<string, string>();
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
    appendFileSync(join(this.dir, this.fileFor(this.bufFile)), gzipSync(this.buf.join("\n") + "\n"));
    this.buf = [];
  }

  /**
   * A file an earlier run left with a cut-off last member (killed mid-write, disk full) would hide
   * everything appended after it from gunzip: such a file is left as it is and this writer goes on
   * in `<hour>.1.jsonl.gz` (then .2, …).
   */
  private fileFor(name: string): string {
    const known = this.target.get(name);
    if (known) return known;
    let f = name;
    for (let k = 1; existsSync(join(this.dir, f)) && !readable(join(this.dir, f)); k++) f = name.replace(/\.jsonl\.gz$/, `.${k}.jsonl.gz`);
    this.target.set(name, f);
    return f;
  }
}
