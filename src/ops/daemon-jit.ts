// The daemon's JavaScriptCore tiers (issue 14 goal 5). Without the optimizing DFG tier (and so
// without FTL) a daemon at 10,000 markets keeps its RSS flat near 110 MB over an hour instead of
// climbing past 135 MB, for ~25% more CPU a cycle (README, Benchmarks). JavaScriptCore reads its
// options once, from BUN_JSC_* variables, before any of our code runs; so a daemon started without
// the variable replaces itself at once (execve of its own executable: same PID, arguments, open
// descriptors and environment, plus the variable) and the option holds however it was started: by
// the shipped unit (which sets it itself, so no re-exec), by hand, in a container.
//
// An operator who prefers the latency to the memory sets BUN_JSC_useDFGJIT=true: a value already
// there, whatever it is, is kept and nothing is re-executed.
import { FFIType, ptr } from "bun:ffi";
import { openLibc } from "./libc.ts";
import { readFileSync } from "node:fs";

export const DAEMON_JSC_OPTION = "BUN_JSC_useDFGJIT";
export const DAEMON_JSC_VALUE = "false";
/** applyDaemonJit's answer when run from source (Bun itself, the tests): nothing to warn about. */
export const FROM_SOURCE = "not the compiled binary";

/**
 * Re-executes this process with the daemon's JavaScriptCore option when it is unset. Returns only
 * when it did not: null when the option is already in the environment, else why it could not
 * (not the compiled binary, not Linux, execve refused); on success the process image is replaced
 * and nothing after the call runs. Call it before anything is written to stdout or stderr
 * (output not yet flushed would be lost).
 */
export function applyDaemonJit(): string | null {
  if (process.env[DAEMON_JSC_OPTION] !== undefined) return null;
  // From source (`bun src/cli.ts`, the tests in-process) the runtime is Bun itself: leave it be.
  if (!Bun.main.startsWith("/$bunfs/")) return FROM_SOURCE;
  if (process.platform !== "linux") return `not on Linux (${process.platform})`;
  try {
    // The process's own argument and environment blocks, byte for byte (process.env may already
    // hold changes made at start-up; those are made again by the new image as they were here).
    const args = nulTerminated(readFileSync("/proc/self/cmdline"));
    const environ = nulTerminated(readFileSync("/proc/self/environ"));
    environ.push(Buffer.from(`${DAEMON_JSC_OPTION}=${DAEMON_JSC_VALUE}\0`));
    // The binary's own path, not /proc/self/exe: the kernel names the process after the file it
    // runs (ps, pgrep, the journal's _COMM), and "exe" would hide the bot from them.
    return execve(process.execPath, args, environ);
  } catch (e) {
    return (e as Error).message;
  }
}

/** A /proc block of NUL-terminated strings, each kept with its NUL (ready for a char* array). */
function nulTerminated(block: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < block.length; i++) {
    if (block[i] === 0) {
      out.push(block.subarray(start, i + 1));
      start = i + 1;
    }
  }
  return out;
}

/** libc's execve through bun:ffi; returns (with a reason) only when it failed. */
function execve(path: string, args: Buffer[], environ: Buffer[]): string {
  const libc = openLibc({ execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 } });
  if (!libc) return "libc could not be opened through bun:ffi";
  // NULL-terminated arrays of pointers into buffers that stay referenced until the call returns.
  const pointers = (bs: Buffer[]) => {
    const a = new BigUint64Array(bs.length + 1);
    for (let i = 0; i < bs.length; i++) a[i] = BigInt(ptr(bs[i]!));
    return a;
  };
  const file = Buffer.from(`${path}\0`);
  const argv = pointers(args);
  const envp = pointers(environ);
  const rc = libc.symbols.execve(ptr(file), ptr(argv), ptr(envp));
  libc.close();
  return `execve returned ${rc}`;
}
