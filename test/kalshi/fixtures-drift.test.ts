// The vendored fixtures (test/fixtures/kalshi) are a copy of ../shared/kalshi/fixtures, kept in the
// repository so a fresh clone's `npm test` runs every golden-file test. Where ../shared is present
// (CI clones it beside the repository) the copy must equal it file for file, so the two never drift.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES, SHARED_FIXTURES } from "./fixtures.ts";

describe("vendored Kalshi fixtures", () => {
  test("hold the recorded responses the client and exchange tests read", () => {
    const names = readdirSync(FIXTURES);
    expect(names.filter((n) => n.endsWith(".meta.json")).length).toBeGreaterThanOrEqual(60);
    expect(names).toContain("ws__orderbook_trade_yes.jsonl");
  });

  test.skipIf(!existsSync(SHARED_FIXTURES))("equal ../shared/kalshi/fixtures file for file", () => {
    const ours = readdirSync(FIXTURES).sort();
    const theirs = readdirSync(SHARED_FIXTURES).sort();
    expect(ours).toEqual(theirs);
    const differing = theirs.filter((n) => !readFileSync(join(FIXTURES, n)).equals(readFileSync(join(SHARED_FIXTURES, n))));
    expect(differing).toEqual([]);
  });
});
