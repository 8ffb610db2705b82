// The C library through bun:ffi, opened in one place: flock for the instance lock (lock.ts), socket
// and sendto for systemd's notify protocol (sd-notify.ts), execve for the daemon's re-exec
// (daemon-jit.ts). Each caller names the functions it needs and opens them when first needed, so a
// command that never uses one loads nothing through FFI.
import { dlopen, type FFIFunction, type Library } from "bun:ffi";

/** Where libc is found: glibc, a bare libc.so, musl (Alpine), macOS. */
const NAMES: Partial<Record<NodeJS.Platform, readonly string[]>> = {
  linux: ["libc.so.6", "libc.so", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"],
  darwin: ["libc.dylib", "libSystem.B.dylib"],
};

/**
 * The C library with the functions in `fns`, or null when it cannot be opened: not a platform
 * with a known libc, no bun:ffi (a runtime without the JIT, systemd's MemoryDenyWriteExecute=yes),
 * or none of the names has every function.
 */
export function openLibc<Fns extends Record<string, FFIFunction>>(fns: Fns): Library<Fns> | null {
  for (const name of NAMES[process.platform] ?? []) {
    try {
      return dlopen(name, fns);
    } catch {
      // the next name
    }
  }
  return null;
}
