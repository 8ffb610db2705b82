// sd_notify from Bun through bun:ffi: the datagram really reaches a unix socket, both filesystem
// and abstract ("@name") addresses, and everything is a silent no-op without NOTIFY_SOCKET.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sdNotify, sdWatchdogIntervalMs, sockaddrUn, startSdWatchdog } from "../../src/ops/sd-notify.ts";
import { NotifyListener } from "./notify-listener.ts";

const saved = { ...process.env };
afterEach(() => {
  for (const k of ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe("sdNotify", () => {
  test("is a no-op returning false when NOTIFY_SOCKET is unset", () => {
    delete process.env.NOTIFY_SOCKET;
    expect(sdNotify("READY=1")).toBe(false);
    expect(sdWatchdogIntervalMs()).toBeNull();
    const stop = startSdWatchdog();
    stop();
  });

  test("delivers READY=1, STATUS and STOPPING=1 to a filesystem socket", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sdn-"));
    const path = join(dir, "notify");
    const l = new NotifyListener(path);
    try {
      process.env.NOTIFY_SOCKET = path;
      expect(sdNotify("READY=1\nSTATUS=cycle 1 ok")).toBe(true);
      expect(sdNotify("STOPPING=1")).toBe(true);
      expect(await l.waitFor("STOPPING=1", 2000)).toBe(true);
      expect(l.messages).toEqual(["READY=1\nSTATUS=cycle 1 ok", "STOPPING=1"]);
    } finally {
      l.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("delivers to an abstract socket (@name), as systemd uses since v254", async () => {
    const name = `@kalshi-bot-test-${process.pid}-${Date.now()}`;
    const l = new NotifyListener(name);
    try {
      process.env.NOTIFY_SOCKET = name;
      expect(sdNotify("WATCHDOG=1")).toBe(true);
      expect(await l.waitFor("WATCHDOG=1", 2000)).toBe(true);
    } finally {
      l.close();
    }
  });

  test("returns false (never throws) when nobody listens or the path is bad", () => {
    process.env.NOTIFY_SOCKET = join(tmpdir(), `no-such-socket-${process.pid}`);
    expect(sdNotify("READY=1")).toBe(false);
    process.env.NOTIFY_SOCKET = "relative/path";
    expect(sdNotify("READY=1")).toBe(false);
    expect(sockaddrUn("/" + "x".repeat(200))).toBeNull();
  });

  test("watchdog interval is half of WATCHDOG_USEC and honours WATCHDOG_PID", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sdn-"));
    const path = join(dir, "notify");
    const l = new NotifyListener(path);
    try {
      process.env.NOTIFY_SOCKET = path;
      process.env.WATCHDOG_USEC = "200000";
      process.env.WATCHDOG_PID = String(process.pid + 1);
      expect(sdWatchdogIntervalMs()).toBeNull();
      process.env.WATCHDOG_PID = String(process.pid);
      expect(sdWatchdogIntervalMs()).toBe(100);
      let healthy = true;
      const stop = startSdWatchdog(() => healthy);
      await Bun.sleep(350);
      healthy = false;
      const seen = l.poll().length;
      await Bun.sleep(300);
      const after = l.poll().length;
      stop();
      expect(seen).toBeGreaterThanOrEqual(3);
      expect(after).toBe(0); // an unhealthy loop withholds the ping: systemd will kill and restart it
    } finally {
      l.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
