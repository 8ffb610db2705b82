// Test helper: a unix datagram socket that plays systemd's $NOTIFY_SOCKET, through bun:ffi
// (Bun has no unix-datagram API). Messages are polled non-blockingly with recv(MSG_DONTWAIT).
import { dlopen, FFIType } from "bun:ffi";
import { sockaddrUn } from "../../src/ops/sd-notify.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;

const libc = dlopen("libc.so.6", {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
}).symbols;

export class NotifyListener {
  readonly messages: string[] = [];
  private fd: number;
  private buf = new Uint8Array(4096);

  constructor(readonly socketPath: string) {
    const target = sockaddrUn(socketPath);
    if (!target) throw new Error(`bad socket path ${socketPath}`);
    this.fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (this.fd < 0) throw new Error("socket() failed");
    if (libc.bind(this.fd, target.addr, target.len) !== 0) throw new Error(`bind(${socketPath}) failed`);
  }

  /** Drain every pending datagram into `messages`; returns the new ones. */
  poll(): string[] {
    const fresh: string[] = [];
    for (;;) {
      const n = Number(libc.recv(this.fd, this.buf, this.buf.length, MSG_DONTWAIT));
      if (n < 0) break;
      fresh.push(Buffer.from(this.buf.subarray(0, n)).toString("utf8"));
    }
    this.messages.push(...fresh);
    return fresh;
  }

  /** Wait until a message containing `needle` (a line such as "READY=1") arrives. */
  async waitFor(needle: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.poll();
      if (this.messages.some((m) => m.split("\n").includes(needle))) return true;
      if (Date.now() > deadline) return false;
      await Bun.sleep(50);
    }
  }

  close(): void {
    libc.close(this.fd);
  }
}
