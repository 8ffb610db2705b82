import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KeyFileError, loadPrivateKey } from "../../src/kalshi/keys.ts";
import { testKeys } from "./helpers.ts";

const keys = testKeys();
const dir = mkdtempSync(join(tmpdir(), "kalshi-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string, mode: number): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
}
function refusal(fn: () => unknown): KeyFileError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KeyFileError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}
const pemBody = keys.pkcs1Pem.split("\n")[1]!;

describe("loadPrivateKey", () => {
  test("PKCS#1 and PKCS#8 at mode 600 load as RSA key objects", () => {
    for (const [n, pem] of [
      ["p1.key", keys.pkcs1Pem],
      ["p8.key", keys.pkcs8Pem],
    ] as const) {
      const k = loadPrivateKey(write(n, pem, 0o600));
      expect(k.asymmetricKeyType).toBe("rsa");
      expect(k.type).toBe("private");
    }
    expect(loadPrivateKey(write("p400.key", keys.pkcs8Pem, 0o400)).type).toBe("private");
  });
  for (const mode of [0o640, 0o604, 0o644, 0o660]) {
    test(`mode ${mode.toString(8)} is refused with the chmod fix, naming the path and not the key`, () => {
      const p = write(`m${mode.toString(8)}.key`, keys.pkcs1Pem, mode);
      const e = refusal(() => loadPrivateKey(p));
      expect(e.reason).toBe("too_open");
      expect(e.message).toContain(`chmod 600 ${p}`);
      expect(e.message).not.toContain(pemBody.slice(0, 16));
      expect(e.message.split("\n").length).toBe(1);
    });
  }
  test("a systemd credential (0440 under the ACL mask, owned by root) is accepted; world bits or write bits are not", () => {
    const p = write("cred.key", keys.pkcs1Pem, 0o440);
    expect(loadPrivateKey(p, { systemdCredential: true }).type).toBe("private");
    expect(refusal(() => loadPrivateKey(p)).reason).toBe("too_open");
    chmodSync(p, 0o444);
    expect(refusal(() => loadPrivateKey(p, { systemdCredential: true })).reason).toBe("too_open");
    chmodSync(p, 0o640);
    expect(refusal(() => loadPrivateKey(p, { systemdCredential: true })).reason).toBe("too_open");
  });
  test("wrong owner is refused", () => {
    const p = write("owner.key", keys.pkcs1Pem, 0o600);
    const e = refusal(() => loadPrivateKey(p, { uid: (process.getuid?.() ?? 0) + 1 }));
    expect(e.reason).toBe("wrong_owner");
    expect(e.message).toContain("chown");
  });
  test("missing file, directory, garbage, public key: one-line refusals without contents", () => {
    expect(refusal(() => loadPrivateKey(join(dir, "nope.key"))).reason).toBe("missing");
    const d = join(dir, "adir");
    mkdirSync(d, { mode: 0o700 });
    expect(["not_a_file", "unreadable"]).toContain(refusal(() => loadPrivateKey(d)).reason);
    const garbage = write("garbage.key", "-----BEGIN RSA " + "PRIVATE KEY-----\nSECRETSECRET\n-----END RSA PRIVATE KEY-----\n", 0o600);
    const e = refusal(() => loadPrivateKey(garbage));
    expect(e.reason).toBe("not_a_key");
    expect(e.message).not.toContain("SECRETSECRET");
    expect(refusal(() => loadPrivateKey(write("pub.pem", keys.publicPem, 0o600))).reason).toBe("not_a_key");
  });
  test("a symlink to a proper key is judged by the file it opens", () => {
    const target = write("real.key", keys.pkcs1Pem, 0o644);
    const link = join(dir, "link.key");
    require("node:fs").symlinkSync(target, link);
    expect(refusal(() => loadPrivateKey(link)).reason).toBe("too_open");
  });
});
