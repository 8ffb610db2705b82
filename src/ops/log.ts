// One logger for the whole program. Format: pretty on a terminal, syslog-prefixed plain lines
// under journald (JOURNAL_STREAM set), JSON for log shippers. Every line passes through redact().
import { createConsola, LogLevels, type ConsolaInstance, type ConsolaReporter, type LogObject } from "consola";
import { formatWithOptions } from "node:util";
import { redact } from "./redact.ts";

export type LogFormat = "auto" | "pretty" | "plain" | "journald" | "json";
export type LogLevelName = "error" | "warn" | "info" | "debug" | "trace";

const LEVEL_NUM: Record<LogLevelName, number> = { error: 0, warn: 1, info: 3, debug: 4, trace: 5 };

function message(o: LogObject): string {
  return redact(formatWithOptions({ colors: false, depth: 4 }, ...o.args));
}

function stream(o: LogObject): { write(text: string): void } {
  return o.level < LogLevels.log ? safeStderr : safeStdout;
}

/**
 * The reader of stdout/stderr went away (`kalshi-bot sim | head -1`, a closed terminal) or the file
 * they point at cannot take more (cron's `>> logs/backup.log` on a full disk). A log line that cannot
 * be written is dropped; it never takes the process down with a stack trace.
 */
export function isOutputGone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === "EPIPE" || code === "ECONNRESET" || code === "ENOSPC" || code === "EDQUOT" || code === "EIO" || code === "EBADF";
}

/** Only a closed pipe: what a command's own stdout.write may throw when `| head` stopped reading. */
export function isBrokenPipe(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === "EPIPE";
}

let guarded = false;

/**
 * Make process.stdout/stderr drop what they cannot deliver instead of throwing (see isOutputGone):
 * every writer is covered, the logger, the commands' own output and the engine's cycle summaries, so
 * a daemon whose reader vanished keeps trading and `kalshi-bot status | head -1` ends quietly.
 */
export function installOutputGuards(): void {
  if (guarded) return;
  guarded = true;
  for (const s of [process.stdout, process.stderr]) {
    const write = s.write.bind(s) as (...a: unknown[]) => boolean;
    s.write = ((...a: unknown[]) => {
      try {
        return write(...a);
      } catch (e) {
        if (isOutputGone(e)) return false;
        throw e;
      }
    }) as typeof s.write;
    s.on?.("error", () => {});
  }
}

function safe(s: NodeJS.WriteStream): NodeJS.WriteStream {
  // Asynchronous write errors arrive as 'error' events; without a listener they would crash.
  s.on?.("error", () => {});
  return new Proxy(s, {
    get(target, prop, receiver) {
      if (prop === "write") {
        return (chunk: string | Uint8Array, ...rest: unknown[]) => {
          try {
            return (target.write as (...a: unknown[]) => boolean)(chunk, ...rest);
          } catch (e) {
            if (isOutputGone(e)) return false;
            throw e;
          }
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

const safeStdout = safe(process.stdout);
const safeStderr = safe(process.stderr);

const jsonReporter: ConsolaReporter = {
  log(o) {
    const line = JSON.stringify({ time: o.date.toISOString(), level: o.type, tag: o.tag || undefined, msg: message(o) });
    stream(o).write(line + "\n");
  },
};

// sd-daemon(3) priorities: journald stores them as the line's severity.
function syslogPrefix(level: number): string {
  if (level <= 0) return "<3>";
  if (level === 1) return "<4>";
  if (level >= 4) return "<7>";
  return "<6>";
}

const journaldReporter: ConsolaReporter = {
  log(o) {
    stream(o).write(`${syslogPrefix(o.level)}${o.tag ? `[${o.tag}] ` : ""}${message(o)}\n`);
  },
};

const plainReporter: ConsolaReporter = {
  log(o) {
    stream(o).write(`${o.date.toISOString()} ${o.type.toUpperCase().padEnd(5)} ${o.tag ? `[${o.tag}] ` : ""}${message(o)}\n`);
  },
};

function resolveFormat(format: LogFormat): Exclude<LogFormat, "auto"> {
  if (format !== "auto") return format;
  if (process.env.JOURNAL_STREAM) return "journald";
  if (process.stderr.isTTY) return "pretty";
  return "plain";
}

function build(format: LogFormat, level: LogLevelName): ConsolaInstance {
  const f = resolveFormat(format);
  const lvl = LEVEL_NUM[level];
  // Never pass `reporters: undefined`: consola then drops its default reporter.
  if (f === "pretty") {
    // fancy: we already chose "pretty" (a terminal, or asked for); consola would otherwise fall
    // back to its basic reporter whenever CI/TEST/NODE_ENV=test is set.
    // (`fancy` is an option of consola's node entry; its browser typings, which tsc resolves, lack it.)
    const create = createConsola as (o: Parameters<typeof createConsola>[0] & { fancy?: boolean }) => ConsolaInstance;
    const c = create({ level: lvl, fancy: true, formatOptions: { date: false }, stdout: safeStdout, stderr: safeStderr });
    const fancy = c.options.reporters;
    c.setReporters(
      fancy.map((r) => ({ log: (o: LogObject, ctx: Parameters<ConsolaReporter["log"]>[1]) => r.log({ ...o, args: [message(o)] }, ctx) })),
    );
    return c;
  }
  const reporter = f === "json" ? jsonReporter : f === "journald" ? journaldReporter : plainReporter;
  return createConsola({ level: lvl, reporters: [reporter] });
}

export let log: ConsolaInstance = build("auto", "info");
let current = { format: "auto" as LogFormat, level: "info" as LogLevelName };

export function configureLogger(format: LogFormat = current.format, level: LogLevelName = current.level): ConsolaInstance {
  current = { format, level };
  log = build(format, level);
  return log;
}

export function loggerSettings(): { format: LogFormat; level: LogLevelName } {
  return { ...current };
}
