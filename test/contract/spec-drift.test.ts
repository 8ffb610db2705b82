// The vendored contract (test/fixtures/kalshi-spec) equals ../shared/kalshi/spec wherever that
// folder is present, so the contract tests never drift from the documents they claim to check.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { asyncapi, openapi, SHARED_SPEC_DIR, SPEC_DIR } from "./spec.ts";

describe("vendored Kalshi spec", () => {
  test("holds both documents at the versions the README names", () => {
    expect((asyncapi.info as { version: string }).version).toBe("2.0.0");
    expect((openapi.info as { version: string }).version).toBe("3.13.0");
  });

  test.skipIf(!existsSync(SHARED_SPEC_DIR))("equals ../shared/kalshi/spec byte for byte", () => {
    for (const f of ["asyncapi.yaml", "openapi.yaml", "README.md"])
      expect(readFileSync(join(SPEC_DIR, f)).equals(readFileSync(join(SHARED_SPEC_DIR, f)))).toBe(true);
  });
});
