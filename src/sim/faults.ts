// Fault injection for tests of the client's resilience. Spec syntax (comma-separated key=value):
//
//   429=0.1,500=0.05,502=0.02,503=0.02,slow=0.05,timeout=0.02,drop_after_accept=0.05,
//   ws_disconnect=0.01,ws_skip_seq=0.01,slow_ms=1500,timeout_ms=30000
//
// Rates are probabilities per request (HTTP faults are exclusive: one draw picks at most one),
// per sent message for the ws_* faults. `drop_after_accept` applies to writes only: the exchange
// processes the request, then the connection is dropped without an answer. Draws come from the
// seeded PRNG in arrival order, so a seed and a request sequence replay the same faults.
import { Rng } from "./rng.ts";

export type HttpFault = "429" | "500" | "502" | "503" | "slow" | "timeout" | "drop_after_accept";
const HTTP_FAULTS: HttpFault[] = ["429", "500", "502", "503", "slow", "timeout", "drop_after_accept"];
const WS_FAULTS = ["ws_disconnect", "ws_skip_seq"] as const;
const PARAMS = ["slow_ms", "timeout_ms"] as const;

export interface FaultSpec {
  http: Partial<Record<HttpFault, number>>;
  wsDisconnect: number;
  wsSkipSeq: number;
  slowMs: number;
  timeoutMs: number;
}

export class FaultSpecError extends Error {}

export function parseFaults(spec: string | undefined | null): FaultSpec {
  const out: FaultSpec = { http: {}, wsDisconnect: 0, wsSkipSeq: 0, slowMs: 1500, timeoutMs: 30_000 };
  if (!spec?.trim()) return out;
  let total = 0;
  for (const part of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq < 0) throw new FaultSpecError(`fault "${part}" needs a value, e.g. ${part}=0.05`);
    const key = part.slice(0, eq).trim();
    const value = Number(part.slice(eq + 1).trim());
    if (!Number.isFinite(value) || value < 0)
      throw new FaultSpecError(`fault ${key}: "${part.slice(eq + 1)}" is not a non-negative number`);
    if ((PARAMS as readonly string[]).includes(key)) {
      if (key === "slow_ms") out.slowMs = value;
      else out.timeoutMs = value;
      continue;
    }
    if (value > 1) throw new FaultSpecError(`fault ${key}: a rate must be between 0 and 1`);
    if ((HTTP_FAULTS as string[]).includes(key)) {
      out.http[key as HttpFault] = value;
      total += value;
    } else if (key === "ws_disconnect") out.wsDisconnect = value;
    else if (key === "ws_skip_seq") out.wsSkipSeq = value;
    else throw new FaultSpecError(`unknown fault "${key}" (known: ${[...HTTP_FAULTS, ...WS_FAULTS, ...PARAMS].join(", ")})`);
  }
  if (total > 1) throw new FaultSpecError("HTTP fault rates add up to more than 1");
  return out;
}

export class FaultInjector {
  private readonly httpRng: Rng;
  private readonly wsRng: Rng;
  constructor(
    readonly spec: FaultSpec,
    seed: number | string,
  ) {
    this.httpRng = new Rng(`${seed}:faults:http`);
    this.wsRng = new Rng(`${seed}:faults:ws`);
  }

  get active(): boolean {
    return Object.values(this.spec.http).some((r) => (r ?? 0) > 0) || this.spec.wsDisconnect > 0 || this.spec.wsSkipSeq > 0;
  }

  /** The fault for one HTTP request, or null. */
  http(isWrite: boolean): HttpFault | null {
    if (Object.keys(this.spec.http).length === 0) return null;
    let u = this.httpRng.next();
    for (const f of HTTP_FAULTS) {
      const r = this.spec.http[f] ?? 0;
      if (u < r) return f === "drop_after_accept" && !isWrite ? null : f;
      u -= r;
    }
    return null;
  }

  wsDisconnect(): boolean {
    return this.spec.wsDisconnect > 0 && this.wsRng.next() < this.spec.wsDisconnect;
  }

  wsSkipSeq(): boolean {
    return this.spec.wsSkipSeq > 0 && this.wsRng.next() < this.spec.wsSkipSeq;
  }
}
