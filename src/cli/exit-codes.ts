// The exit codes as the user reads them, rendered from the one list in src/errors.ts: the line at
// the foot of `--help` and README's "Exit codes" table (scripts/exit-codes.ts prints it).
import { EXIT, EXIT_CODE_DOCS } from "../errors.ts";

const rows = () => (Object.keys(EXIT) as Array<keyof typeof EXIT>).map((k) => ({ code: EXIT[k], ...EXIT_CODE_DOCS[k] }));

/** `0 ok, 1 internal error, …, 130 interrupted` */
export function exitCodeSummary(): string {
  return rows()
    .map((r) => `${r.code} ${r.short}`)
    .join(", ");
}

/** README's table, header included, one line per code, no trailing newline. */
export function exitCodeTable(): string {
  const lines = ["| Code | Meaning | systemd |", "|---|---|---|"];
  for (const r of rows()) lines.push(`| ${r.code} | ${r.meaning} |${r.systemd ? ` ${r.systemd} ` : " "}|`);
  return lines.join("\n");
}
