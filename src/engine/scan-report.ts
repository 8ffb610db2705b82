// Human-readable output of a cycle: the one-screen summary printed after every trade cycle, and
// the `--mode scan` table of what each strategy would do and why (edge, size, fees). Pure
// formatting; money is formatted from integers, never through floats.
import { centsToMicros, formatDollars2, formatFixed, microsToCents, type Micros } from "../kalshi/money.ts";
import type { Intent } from "../strategies/types.ts";
import type { CycleReport } from "./cycle.ts";
import { renderTable, terminalWidth, type TableColumn } from "../ops/table.ts";

const SCAN_COLUMNS: TableColumn[] = [
  { header: "strategy" },
  { header: "market", cutLast: true },
  { header: "action" },
  { header: "price", right: true },
  { header: "size", right: true },
  { header: "edge", right: true },
  { header: "fee", right: true },
  { header: "why", maxWidth: 80 },
];

const usd = (m: Micros): string => `${m < 0 ? "-" : ""}$${formatDollars2(Math.abs(m))}`;
const px = (p: number): string => formatFixed(p, 4);
const qty = (c: number): string => formatFixed(c, 2).replace(/\.00$/, "");

function intentCells(i: Intent): string[] {
  if (i.kind === "cancel") return [i.strategy, i.ticker, "cancel", "", "", "", "", i.reason];
  const action = i.kind === "amend" ? `amend ${i.side === "bid" ? "bid" : "ask"}` : i.side === "bid" ? "buy YES" : "sell YES";
  const edge = i.kind === "create" && i.edgeMicros !== undefined ? usd(i.edgeMicros) : "";
  const fee = i.kind === "create" && i.feeMicros !== undefined ? usd(i.feeMicros) : "";
  const tif =
    i.kind === "create"
      ? `${i.timeInForce === "good_till_canceled" ? "GTC" : i.timeInForce === "immediate_or_cancel" ? "IOC" : "FOK"}${i.postOnly ? " post" : ""}`
      : "";
  return [i.strategy, i.ticker, action, px(i.price), qty(i.count), edge, fee, `${tif ? `[${tif}] ` : ""}${i.reason}`];
}

export function scanTable(r: CycleReport, width: number | null = terminalWidth()): string {
  const rows: string[][] = [];
  for (const s of r.strategyDecisions) {
    if (s.error) rows.push([s.strategy, "", "error", "", "", "", "", s.error]);
    for (const i of s.intents) rows.push(intentCells(i));
  }
  for (const [ticker, why] of r.untradeable) rows.push(["-", ticker, "not traded", "", "", "", "", why]);
  const head = `scan: ${r.marketsScanned} markets in ${r.eventsScanned} events, ${r.requests} requests; strategies: ${r.strategyDecisions.map((s) => `${s.strategy} ${s.intents.length}`).join(", ") || "none enabled"}`;
  if (rows.length === 0) return `${head}\nNo strategy would act on this cycle's data.`;
  return `${head}\n${renderTable(SCAN_COLUMNS, rows, { width }).trimEnd()}${r.outOfScope.length ? `\n${r.outOfScope.length} intent(s) outside the scope were dropped.` : ""}`;
}

export function cycleSummary(r: CycleReport, opts: { dryRun: boolean; mode: "trade" | "scan" }): string {
  const lines: string[] = [];
  const tag = opts.dryRun ? "paper" : "live";
  lines.push(
    `cycle ${r.cycleId} (${opts.mode}, ${opts.dryRun ? "dry-run" : "LIVE"}): ${r.status}${r.statusReason ? ` — ${r.statusReason}` : ""}`,
  );
  lines.push(
    `  markets scanned: ${r.marketsScanned} in ${r.eventsScanned} events; ${r.requests} exchange requests; ${r.cpuMs.toFixed(1)} ms CPU`,
  );
  for (const s of r.strategyDecisions) {
    const kinds = { create: 0, amend: 0, cancel: 0 };
    for (const i of s.intents) kinds[i.kind]++;
    lines.push(`  ${s.strategy}: ${s.error ? `error: ${s.error}` : `${kinds.create} new, ${kinds.amend} amend, ${kinds.cancel} cancel`}`);
  }
  const e = r.exec;
  if (e) {
    const byResult = new Map<string, number>();
    for (const d of e.decisions) byResult.set(d.result, (byResult.get(d.result) ?? 0) + 1);
    const parts = [...byResult].map(([k, n]) => `${n} ${k}`).join(", ");
    lines.push(
      `  ${tag} orders: ${e.created} placed, ${e.amended} amended, ${e.canceled} canceled, ${e.rejected} rejected, ${e.unknown} unknown${parts ? ` (${parts})` : ""}`,
    );
    const shown = e.decisions.filter((d) => d.result !== "skipped").slice(0, 12);
    for (const d of shown) {
      const i = d.intent;
      const what =
        i.kind === "cancel"
          ? `cancel ${i.ticker}`
          : `${i.kind === "amend" ? "amend " : ""}${i.side === "bid" ? "buy YES" : "sell YES"} ${qty(d.count ?? i.count)} ${i.ticker} @ ${px(i.price)}`;
      lines.push(`    ${d.result.padEnd(13)} ${what} — ${i.strategy}: ${d.detail}`);
    }
    if (e.decisions.length > shown.length) lines.push(`    … ${e.decisions.length - shown.length} more in the audit log`);
  }
  if (r.paperFills || e?.filledImmediately)
    lines.push(
      `  fills: ${qty(e?.filledImmediately ?? 0)} contracts at once${r.paperFills ? `, ${r.paperFills} resting paper fill(s)` : ""}`,
    );
  if (r.outOfScope.length) lines.push(`  dropped ${r.outOfScope.length} intent(s) outside the scope`);
  if (r.positionsOutOfScope.length) lines.push(`  positions outside the scope (left alone): ${r.positionsOutOfScope.join(", ")}`);
  if (r.reconcile?.adopted.length) lines.push(`  external orders adopted: ${r.reconcile.adopted.length}`);
  lines.push(
    `  bankroll (${tag}): cash ${usd(r.cashMicros)} + portfolio ${usd(centsToMicros(microsToCents(r.totalMicros) - microsToCents(r.cashMicros)))} = ${usd(r.totalMicros)}; realized ${usd(r.realizedPnlMicros)}, unrealized ${usd(r.unrealizedPnlMicros)}, fees ${usd(r.feesMicros)}; ${r.openOrders} open order(s); risk ${r.riskState}`,
  );
  return lines.join("\n");
}
