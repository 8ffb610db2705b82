// The one table helper (src/ops/table.ts) that report, scan and status print through: padded
// columns, numbers on the right and never cut, text cut with … to fit the width, blocks per row
// when even that cannot fit, and where the width comes from.
import { describe, expect, test } from "bun:test";
import { renderTable, terminalWidth, type TableColumn } from "../../src/ops/table.ts";

const cols: TableColumn[] = [{ header: "market" }, { header: "count", right: true }, { header: "why" }];
const rows = [
  ["KXHIGHNY-26NOV24-B50", "10.00", "edge after fees 0.0300 over the 0.0100 minimum"],
  ["KXINX-26NOV24-T6000", "1234.50", "x"],
];

describe("renderTable", () => {
  test("no width: every cell whole, numbers right-aligned, a totals row under a second rule", () => {
    const t = renderTable(cols, rows, { footer: ["total 2", "1244.50", ""] }).split("\n");
    expect(t[0]).toBe("market                  count  why");
    expect(t[2]).toBe("KXHIGHNY-26NOV24-B50    10.00  edge after fees 0.0300 over the 0.0100 minimum");
    expect(t[3]).toBe("KXINX-26NOV24-T6000   1234.50  x");
    expect(t[4]).toBe(t[1]);
    expect(t[5]).toBe("total 2               1244.50");
  });

  test("a width: text columns give up characters, widest first, cut with …; numbers stay whole", () => {
    const t = renderTable(cols, rows, { width: 55 }).trimEnd().split("\n");
    for (const l of t) expect(l.length, l).toBeLessThanOrEqual(55);
    expect(t[2]).toContain("10.00");
    expect(t[3]).toContain("1234.50");
    expect(t[2]).toMatch(/…$/);
    expect(t[2]!.startsWith("KXHIGHNY-26NOV24-B50")).toBe(true); // the narrower column kept whole while the wider one could give
  });

  test("narrower than the numbers and 8 characters a text column: one block per row", () => {
    const t = renderTable(cols, rows, { width: 22, footer: ["total 2", "1244.50", ""] })
      .trimEnd()
      .split("\n");
    for (const l of t) expect(l.length, l).toBeLessThanOrEqual(22);
    expect(t.slice(0, 4)).toEqual(["-- 1 of 2 --", "market  KXHIGHNY-26NO…", "count   10.00", "why     edge after fe…"]);
    expect(t.slice(-3)).toEqual(["-- total --", "market  total 2", "count   1244.50"]);
  });

  test("an identifier (cutLast) is cut only after the free text has given all it can", () => {
    const id: TableColumn[] = [{ header: "market", cutLast: true }, { header: "count", right: true }, { header: "why" }];
    const t = renderTable(id, rows, { width: 45 }).trimEnd().split("\n");
    for (const l of t) expect(l.length, l).toBeLessThanOrEqual(45);
    expect(t[2]).toBe("KXHIGHNY-26NOV24-B50    10.00  edge after fe…");
    const tighter = renderTable(id, rows, { width: 38 }).trimEnd().split("\n");
    expect(tighter[2]).toBe("KXHIGHNY-26NOV24-B…    10.00  edge af…");
  });

  test("a newline or tab in a cell never breaks the layout; maxWidth cuts free text even without a width", () => {
    const t = renderTable([{ header: "a" }, { header: "b", maxWidth: 5 }], [["x\ny", "abcdefgh"]]).split("\n");
    expect(t[2]).toBe("x y  abcd…");
  });
});

describe("terminalWidth", () => {
  test("COLUMNS wins; else the terminal's columns; a pipe has no limit", () => {
    expect(terminalWidth({ COLUMNS: "72" }, { isTTY: true, columns: 200 })).toBe(72);
    expect(terminalWidth({}, { isTTY: true, columns: 120 })).toBe(120);
    expect(terminalWidth({ COLUMNS: "junk" }, { isTTY: true, columns: 120 })).toBe(120);
    expect(terminalWidth({}, { isTTY: false, columns: 120 })).toBeNull();
    expect(terminalWidth({}, {})).toBeNull();
  });
});
