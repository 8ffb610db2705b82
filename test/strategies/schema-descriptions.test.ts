// Issue 16: every strategy parameter is described in the JSON Schema that `kalshi-bot config
// schema` (and editors) show, so nobody tunes a number whose meaning they have to guess.
import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { strategiesSchema } from "../../src/config/strategies-schema.ts";

describe("strategy parameters in the JSON Schema", () => {
  test("each one has a description", () => {
    const js = z.toJSONSchema(strategiesSchema, { io: "input", unrepresentable: "any" }) as {
      properties: Record<string, { properties: Record<string, { description?: string }> }>;
    };
    const missing: string[] = [];
    let n = 0;
    for (const [strategy, section] of Object.entries(js.properties)) {
      for (const [key, prop] of Object.entries(section.properties)) {
        n++;
        if (!prop.description || prop.description.length < 10) missing.push(`${strategy}.${key}`);
      }
    }
    expect(n).toBeGreaterThanOrEqual(30);
    expect(missing).toEqual([]);
  });
});
