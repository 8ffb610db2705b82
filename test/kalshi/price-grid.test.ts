import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { isOnGrid, nextDown, nextUp, rangesForStructure, snapDown, snapUp, tickAt, ticksBetween } from "../../src/kalshi/price-grid.ts";

const linear = rangesForStructure("linear_cent");
const deci = rangesForStructure("deci_cent");
const tapered = rangesForStructure("tapered_deci_cent");

describe("price grid", () => {
  test("isOnGrid per structure", () => {
    expect(isOnGrid(5600, linear)).toBe(true);
    expect(isOnGrid(5610, linear)).toBe(false);
    expect(isOnGrid(5610, deci)).toBe(true);
    expect(isOnGrid(5615, deci)).toBe(false);
    expect(isOnGrid(50, tapered)).toBe(true); // 0.005 in the fine band
    expect(isOnGrid(5610, tapered)).toBe(false); // cents only in the middle
    expect(isOnGrid(9_990, tapered)).toBe(true);
    expect(isOnGrid(1_000, tapered)).toBe(true);
    expect(isOnGrid(0, linear)).toBe(false);
    expect(isOnGrid(10_000, linear)).toBe(false);
    expect(isOnGrid(5600.5, linear)).toBe(false);
  });

  test("empty or broken ranges fall back to whole cents", () => {
    expect(isOnGrid(100, [])).toBe(true);
    expect(isOnGrid(110, [])).toBe(false);
    expect(tickAt(5000, [])).toBe(100);
  });

  test("snapDown / snapUp", () => {
    expect(snapDown(5650, linear)).toBe(5600);
    expect(snapUp(5650, linear)).toBe(5700);
    expect(snapDown(5600, linear)).toBe(5600);
    expect(snapUp(5600, linear)).toBe(5600);
    expect(snapDown(50, linear)).toBeNull();
    expect(snapUp(9_950, linear)).toBeNull();
    expect(snapDown(1_055, tapered)).toBe(1_000);
    expect(snapUp(1_005, tapered)).toBe(1_100);
    expect(snapUp(995, tapered)).toBe(1_000);
    expect(snapUp(1_015, tapered)).toBe(1_100);
    expect(snapDown(9_095, tapered)).toBe(9_090);
    expect(snapDown(8_995, tapered)).toBe(8_900);
    expect(snapUp(8_995, tapered)).toBe(9_000);
    expect(snapUp(5, tapered)).toBe(10);
  });

  test("tickAt and neighbours", () => {
    expect(tickAt(500, tapered)).toBe(10);
    expect(tickAt(1_000, tapered)).toBe(100);
    expect(tickAt(9_500, tapered)).toBe(10);
    expect(nextUp(990, tapered)).toBe(1_000);
    expect(nextUp(1_000, tapered)).toBe(1_100);
    expect(nextDown(1_000, tapered)).toBe(990);
    expect(nextDown(9_000, tapered)).toBe(8_900);
    expect(nextUp(9_000, tapered)).toBe(9_010);
    expect(ticksBetween(4_000, 4_200, linear)).toBe(2);
    expect(ticksBetween(4_000, 4_100, linear)).toBe(1);
  });

  test("ticksBetween counts exactly the nextUp steps from bid to ask, on every grid", () => {
    // The definition, walked tick by tick: the reference the counted version must match.
    const walk = (bid: number, ask: number, r: Parameters<typeof ticksBetween>[2]) => {
      let n = 0;
      let p: number | null = bid;
      while (p !== null && p < ask) {
        p = nextUp(p, r);
        n++;
      }
      return n;
    };
    const odd = [
      [
        { start: 0, end: 5_000, step: 50 },
        { start: 5_000, end: 10_000, step: 30 },
      ],
      [{ start: 2_000, end: 3_000, step: 7 }],
      [
        { start: 0, end: 10_000, step: 100 },
        { start: 4_000, end: 6_000, step: 10 },
      ],
      [
        { start: 9_000, end: 10_000, step: 10 },
        { start: 0, end: 1_000, step: 10 },
        { start: 1_000, end: 9_000, step: 100 },
      ],
    ];
    const grids = [linear, deci, tapered, ...odd];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: grids.length - 1 }),
        fc.integer({ min: -50, max: 10_050 }),
        fc.integer({ min: -50, max: 10_050 }),
        (g, bid, ask) => {
          expect(ticksBetween(bid, ask, grids[g]!)).toBe(walk(bid, ask, grids[g]!));
        },
      ),
      { numRuns: 5_000 },
    );
    for (const r of grids)
      for (const [b, a] of [
        [990, 1_010],
        [1_000, 9_000],
        [8_990, 9_010],
        [0, 10_000],
        [4_000, 4_000],
        [4_100, 4_000],
      ] as const)
        expect(ticksBetween(b, a, r)).toBe(walk(b, a, r));
  });

  test("properties: snaps are on grid, ordered and tight", () => {
    const grids = [linear, deci, tapered];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 9_999 }), (g, p) => {
        const r = grids[g]!;
        const d = snapDown(p, r);
        const u = snapUp(p, r);
        if (d !== null) {
          expect(isOnGrid(d, r)).toBe(true);
          expect(d).toBeLessThanOrEqual(p);
          for (let q = d + 1; q <= p; q++) expect(isOnGrid(q, r)).toBe(false);
        }
        if (u !== null) {
          expect(isOnGrid(u, r)).toBe(true);
          expect(u).toBeGreaterThanOrEqual(p);
          for (let q = p; q < u; q++) expect(isOnGrid(q, r)).toBe(false);
        }
        if (isOnGrid(p, r)) {
          expect(d).toBe(p);
          expect(u).toBe(p);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
