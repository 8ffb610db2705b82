// The one plain-text table of the CLI (report, scan, status): columns padded to their widest cell,
// numbers on the right, and fitted to the terminal's width. Text columns give up width first
// (cut with "…"); numbers are never cut (a cut amount would be a wrong amount). When even that
// does not fit, each row is printed as a block of "name  value" lines, which fits any width.

export interface TableColumn {
  header: string;
  /** Numbers line up on the right and are never shortened. */
  right?: boolean;
  /** Free text longer than this is cut even when the terminal is wide. */
  maxWidth?: number;
  /** An identifier (a ticker): cut only once the other text columns can give no more. */
  cutLast?: boolean;
}

export interface TableOptions {
  /** Characters available per line; null or undefined: no limit (a pipe, a log). */
  width?: number | null;
  /** A totals row under a second rule. */
  footer?: string[];
  /** Lines before the table, e.g. a two-space indent. */
  indent?: string;
}

const GAP = "  ";
/** A text column is not cut below this many characters. */
const MIN_TEXT = 8;

/**
 * The width to fit: COLUMNS when set to a positive number (the shell exports it; a user can set it
 * for a pipe), else the terminal's own width when stdout is one, else no limit.
 */
export function terminalWidth(
  env: NodeJS.ProcessEnv = process.env,
  out: { isTTY?: boolean; columns?: number } = process.stdout,
): number | null {
  const c = Number(env.COLUMNS);
  if (Number.isInteger(c) && c > 0) return c;
  if (out.isTTY && typeof out.columns === "number" && out.columns > 0) return out.columns;
  return null;
}

function cut(s: string, w: number): string {
  return s.length > w ? `${s.slice(0, Math.max(0, w - 1))}…` : s;
}

/** One line per cell whatever it holds (a reason with a newline would break the layout). */
const flat = (s: string) => s.replace(/[\r\n\t]+/g, " ");

export function renderTable(cols: TableColumn[], rows: string[][], opts: TableOptions = {}): string {
  const indent = opts.indent ?? "";
  const body = rows.map((r) =>
    cols.map((c, i) => {
      const s = flat(r[i] ?? "");
      return c.maxWidth && !c.right ? cut(s, c.maxWidth) : s;
    }),
  );
  const footer = opts.footer?.map((s, i) => (cols[i]?.right ? s : flat(s)));
  const natural = cols.map((c, i) => Math.max(c.header.length, footer?.[i]?.length ?? 0, ...body.map((b) => b[i]!.length)));
  const limit = opts.width ?? Number.POSITIVE_INFINITY;
  const total = (ws: number[]) => indent.length + ws.reduce((a, w) => a + w, 0) + GAP.length * (ws.length - 1);
  const widths = [...natural];
  // Take width from the widest text column, one character at a time, until it fits or none can
  // give; identifiers (cutLast) give only after the free text has.
  const widestOf = (last: boolean) => {
    let widest = -1;
    for (let i = 0; i < cols.length; i++) {
      if (cols[i]!.right || Boolean(cols[i]!.cutLast) !== last) continue;
      const floor = Math.min(natural[i]!, MIN_TEXT);
      if (widths[i]! > floor && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    }
    return widest;
  };
  while (total(widths) > limit) {
    let widest = widestOf(false);
    if (widest < 0) widest = widestOf(true);
    if (widest < 0) return records(cols, body, footer, limit, indent);
    widths[widest]!--;
  }
  const line = (cells: string[]) =>
    indent +
    cells
      .map((s, i) => {
        const v = cols[i]!.right ? s : cut(s, widths[i]!);
        return cols[i]!.right ? v.padStart(widths[i]!) : v.padEnd(widths[i]!);
      })
      .join(GAP)
      .trimEnd();
  const rule = indent + widths.map((w) => "-".repeat(w)).join(GAP);
  const out = [line(cols.map((c) => c.header)), rule, ...body.map(line)];
  if (footer) out.push(rule, line(footer));
  return out.join("\n") + "\n";
}

/** Too narrow for columns: each row as "header  value" lines; text values cut to the width. */
function records(cols: TableColumn[], body: string[][], footer: string[] | undefined, limit: number, indent: string): string {
  const nameW = Math.max(...cols.map((c) => c.header.length));
  const room = Math.max(1, limit - indent.length - nameW - GAP.length);
  const block = (cells: string[], title: string, skipEmpty: boolean) => [
    `${indent}${title}`,
    ...cells.flatMap((v, i) =>
      skipEmpty && v === "" ? [] : [`${indent}${cols[i]!.header.padEnd(nameW)}${GAP}${cols[i]!.right ? v : cut(v, room)}`.trimEnd()],
    ),
  ];
  const out: string[] = [];
  body.forEach((cells, n) => {
    out.push(...block(cells, `-- ${n + 1} of ${body.length} --`, false));
  });
  if (footer) out.push(...block(footer, "-- total --", true));
  return out.join("\n") + "\n";
}
