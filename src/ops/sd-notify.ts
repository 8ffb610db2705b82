// systemd notify protocol (sd_notify(3)) from Bun, without a native package.
//
// Bun and Node have no unix-datagram sockets (node:dgram is udp4/udp6 only, Bun.udpSocket is UDP),
// so the datagram is sent through bun:ffi straight into libc: socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC),
// sendto($NOTIFY_SOCKET), close. libc is always present where systemd is; bun:ffi needs the JIT,
// which is why the unit keeps MemoryDenyWriteExecute=no (see ../shared/RELIABILITY.md §4).
//
// Everything here is best effort and never throws: when NOTIFY_SOCKET is unset (manual run, cron,
// tests) or libc cannot be loaded, sdNotify() returns false and does nothing.
//
// Wiring (daemon loop):
//   sdNotify("READY=1")                    once the lock is held and the database is open
//   startSdWatchdog(() => loopIsAlive())   keeps WATCHDOG=1 flowing at half of WatchdogSec
//   sdNotify("STATUS=cycle 12 ok …")       optional, shown by `systemctl status`
//   sdNotify("STOPPING=1")                 on SIGTERM/SIGINT, before cancelling and flushing

import { FFIType, type Library } from "bun:ffi";
import { openLibc } from "./libc.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000; // same value on x86_64 and aarch64
const MSG_NOSIGNAL = 0x4000;
const SUN_PATH_MAX = 108;

const SYMBOLS = {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  sendto: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
} as const;

let libc: Library<typeof SYMBOLS>["symbols"] | null | undefined;

// Opened lazily: a process that never talks to systemd never loads anything through FFI.
function loadLibc(): typeof libc {
  if (libc === undefined) libc = process.platform === "linux" ? (openLibc(SYMBOLS)?.symbols ?? null) : null;
  return libc;
}

/** Build a struct sockaddr_un for a filesystem path or an abstract name ("@name"). */
export function sockaddrUn(socketPath: string): { addr: Uint8Array; len: number } | null {
  const abstract = socketPath.startsWith("@");
  const name = Buffer.from(abstract ? socketPath.slice(1) : socketPath, "utf8");
  // Path sockets need a terminating NUL inside sun_path; abstract ones carry a leading NUL instead.
  if (name.length === 0 || name.length + 1 > SUN_PATH_MAX) return null;
  if (!abstract && !socketPath.startsWith("/")) return null;
  const addr = new Uint8Array(2 + SUN_PATH_MAX);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(name, abstract ? 3 : 2);
  const len = abstract ? 2 + 1 + name.length : 2 + name.length + 1;
  return { addr, len };
}

/**
 * Send one notification (e.g. "READY=1", "WATCHDOG=1", "STOPPING=1", "STATUS=…"; several may be
 * joined with "\n"). Returns true when the datagram was sent, false when NOTIFY_SOCKET is unset
 * or sending failed. Never throws.
 */
export function sdNotify(state: string): boolean {
  const socketPath = process.env.NOTIFY_SOCKET;
  if (!socketPath || !state) return false;
  const target = sockaddrUn(socketPath);
  if (!target) return false;
  const c = loadLibc();
  if (!c) return false;
  let fd = -1;
  try {
    fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const msg = Buffer.from(state, "utf8");
    const sent = Number(c.sendto(fd, msg, msg.length, MSG_NOSIGNAL, target.addr, target.len));
    return sent === msg.length;
  } catch {
    return false;
  } finally {
    if (fd >= 0) {
      try {
        c.close(fd);
      } catch {
        // nothing to do
      }
    }
  }
}

/**
 * The interval at which WATCHDOG=1 should be sent (half of WatchdogSec, as sd_watchdog_enabled(3)
 * recommends), or null when systemd's watchdog is not enabled for this process.
 */
export function sdWatchdogIntervalMs(): number | null {
  const usec = Number(process.env.WATCHDOG_USEC);
  if (!process.env.NOTIFY_SOCKET || !Number.isFinite(usec) || usec <= 0) return null;
  const pid = process.env.WATCHDOG_PID;
  if (pid && Number(pid) !== process.pid) return null;
  return Math.max(1, Math.floor(usec / 2000));
}

/**
 * Start pinging WATCHDOG=1 every half WatchdogSec. `healthy` lets the caller withhold the ping
 * when the loop is stuck (e.g. one cycle has been running far longer than it may), so that systemd
 * kills and restarts a wedged bot instead of only a dead one. Returns a stop function. The timer
 * is unref'd: it never keeps the process alive. No-op when the watchdog is not enabled.
 */
export function startSdWatchdog(healthy: () => boolean = () => true): () => void {
  const every = sdWatchdogIntervalMs();
  if (every === null) return () => {};
  const ping = () => {
    let ok = false;
    try {
      ok = healthy();
    } catch {
      ok = false;
    }
    if (ok) sdNotify("WATCHDOG=1");
  };
  ping();
  const timer = setInterval(ping, every);
  timer.unref?.();
  return () => clearInterval(timer);
}
