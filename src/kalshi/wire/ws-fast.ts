// Fast decoding of WebSocket frames: the same accept/reject and the same output as the zod
// `WsMessage` schema, at a fraction of its cost (issue 14 goal 1).
//
// The fast path is compiled once from the zod schema itself, so it follows every edit to ws.ts: each
// message type whose fields use only the kinds fast-decode.ts mirrors gets a generated decoder; any other type, and any frame the fast path does not accept outright (a bad field,
// a decimal string in an unusual form, a big number), goes to zod, which has the last word. So the
// fast path may only ever say "yes, and here is zod's output"; every "no" is zod's.
// test/kalshi/ws-fast.test.ts checks that with generated frames and mutations. Plain orderbook_delta
// frames do not even get here: parseWsFrame reads them from the text first (ws-delta-scan.ts).
import type { z } from "zod";
import { defOf, FAIL, Gen } from "./fast-decode.ts";
import { WsMessage } from "./ws.ts";
import { scanDeltaFrame } from "./ws-delta-scan.ts";

const gen = new Gen();
const byType: Array<[string, string]> = [];
for (const option of defOf(WsMessage).options as unknown[]) {
  const d = defOf(option);
  const lit = defOf((d.shape as Record<string, unknown>).type);
  if (lit.type !== "literal") continue;
  const fn = gen.object(d);
  if (fn !== undefined) for (const t of lit.values as string[]) byType.push([t, fn]);
}
/** Decodes a frame of any mirrored type in place, or returns FAIL. */
const decodeFrame = gen.link(byType);

/** Message types decoded by the fast path (the rest always go through zod). */
export const FAST_WS_TYPES: ReadonlySet<string> = new Set(byType.map(([t]) => t));

/**
 * Decode a freshly parsed frame in place when the fast path can vouch for it, else undefined (the
 * object may then be partly rewritten: parse the text again for zod).
 */
export function fastDecodeWsMessage(raw: unknown): WsMessage | undefined {
  if (typeof raw !== "object" || raw === null || decodeFrame(raw) === FAIL) return undefined;
  // The compiled decoders mirror WsMessage field by field (property-tested against it).
  return raw as WsMessage;
}

/** A frame that is not a valid message: `error` is undefined when the text is not JSON at all. */
export type WsFrame = { ok: true; message: WsMessage } | { ok: false; raw: unknown; error: z.ZodError | undefined };

/** JSON text of one frame → the decoded message, exactly as `WsMessage.safeParse(JSON.parse(text))`. */
export function parseWsFrame(text: string): WsFrame {
  // Deltas in their plain form are read from the text itself; anything else takes the general path.
  const delta = scanDeltaFrame(text);
  if (delta !== undefined) return { ok: true, message: delta };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, raw: undefined, error: undefined };
  }
  const fast = fastDecodeWsMessage(raw);
  if (fast) return { ok: true, message: fast };
  // The fast path may have rewritten part of `raw`: zod gets a fresh copy (rare: malformed or unusual frames).
  const again: unknown = JSON.parse(text);
  const r = WsMessage.safeParse(again);
  return r.success ? { ok: true, message: r.data } : { ok: false, raw: again, error: r.error };
}
