// Prints README's "Exit codes" table from the one list in src/errors.ts; `--write` puts it into
// README.md in place (test/cli/exit-codes-doc.test.ts fails while the two differ).
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { exitCodeTable } from "../src/cli/exit-codes.ts";

const README = join(resolve(import.meta.dir, ".."), "README.md");

/** README with its exit-code table (the `| Code |` block under "### Exit codes") replaced by `table`. */
export function withExitCodeTable(readme: string, table: string): string {
  const lines = readme.split("\n");
  const heading = lines.indexOf("### Exit codes");
  const start = lines.findIndex((l, i) => i > heading && l.startsWith("| Code |"));
  if (heading < 0 || start < 0) throw new Error('README.md has no "### Exit codes" table');
  let end = start;
  while (end < lines.length && lines[end]!.startsWith("|")) end++;
  return [...lines.slice(0, start), table, ...lines.slice(end)].join("\n");
}

if (import.meta.main) {
  if (process.argv.includes("--write")) writeFileSync(README, withExitCodeTable(readFileSync(README, "utf8"), exitCodeTable()));
  else process.stdout.write(`${exitCodeTable()}\n`);
}
