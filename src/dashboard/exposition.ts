// Prometheus text exposition format 0.0.4: one HELP and one TYPE line per family, then its
// samples; label values escaped (\\, \", \n); histogram buckets cumulative, ending with le="+Inf",
// then _sum and _count.
export type MetricType = "counter" | "gauge" | "histogram";
export type Labels = Record<string, string>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function fmt(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function labelText(l: Labels | undefined): string {
  const e = Object.entries(l ?? {});
  return e.length === 0 ? "" : `{${e.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

export class Exposition {
  private lines: string[] = [];
  private seen = new Set<string>();

  private head(name: string, type: MetricType, help: string): void {
    if (this.seen.has(name)) throw new Error(`metric ${name} written twice`);
    this.seen.add(name);
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  }

  /** A counter or gauge family with one sample per label set. */
  family(name: string, type: "counter" | "gauge", help: string, samples: Array<{ labels?: Labels; value: number }>): this {
    this.head(name, type, help);
    for (const s of samples) this.lines.push(`${name}${labelText(s.labels)} ${fmt(s.value)}`);
    return this;
  }

  one(name: string, type: "counter" | "gauge", help: string, value: number): this {
    return this.family(name, type, help, [{ value }]);
  }

  /** `cumulative[i]` = observations ≤ bounds[i]; `count` = all observations (the +Inf bucket). */
  histogram(name: string, help: string, bounds: number[], cumulative: number[], sum: number, count: number): this {
    this.head(name, "histogram", help);
    bounds.forEach((b, i) => {
      this.lines.push(`${name}_bucket{le="${fmt(b)}"} ${cumulative[i] ?? 0}`);
    });
    this.lines.push(`${name}_bucket{le="+Inf"} ${count}`, `${name}_sum ${fmt(sum)}`, `${name}_count ${count}`);
    return this;
  }

  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
