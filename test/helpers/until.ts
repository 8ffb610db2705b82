// Waiting for a condition instead of sleeping: the one poll loop the tests share. Deadlines are on
// the monotonic clock (some tests step the wall clock of the bot; none may stretch their own wait).

export interface UntilOptions {
  /** Time between two looks (ms). */
  pollMs?: number;
  /** Treat a throwing look as "not yet" (a file or database not written yet). */
  tolerateErrors?: boolean;
}

/** Polls `f` until it returns a truthy value, which it returns; throws naming `what` after `ms`. */
export async function until<T>(
  what: string,
  f: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  ms: number,
  opts: UntilOptions = {},
): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    let v: T | null | undefined | false = null;
    try {
      v = await f();
    } catch (e) {
      if (!opts.tolerateErrors) throw e;
    }
    if (v) return v;
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await Bun.sleep(opts.pollMs ?? 20);
  }
}
