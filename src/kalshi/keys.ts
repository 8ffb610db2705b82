// Loading the Kalshi private key. Permissions are checked on the descriptor we actually read from
// (fstat after open), so the file cannot be swapped between the check and the read. Only the
// parsed KeyObject leaves this module: the PEM bytes are wiped, and no error repeats them.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import type { KeyObject } from "node:crypto";
import { privateKeyFromPem } from "./signer.ts";

export class KeyFileError extends Error {
  override name = "KeyFileError";
  constructor(
    message: string,
    readonly path: string,
    readonly reason:
      | "missing"
      | "unreadable"
      | "not_a_file"
      | "wrong_owner"
      | "too_open"
      | "too_large"
      | "not_a_key"
      | "not_rsa"
      | "encrypted",
  ) {
    super(message);
  }
}

const MAX_KEY_BYTES = 64 * 1024;

export interface LoadKeyOptions {
  /** The uid that must own the file; defaults to the current process's uid. */
  uid?: number;
  /**
   * The file is a systemd credential ($CREDENTIALS_DIRECTORY). systemd hands it over as 0400 owned
   * by root (or nobody under PrivateUsers) with a read ACL for the service user, which `stat` shows
   * as 0440: accept that, as long as nobody else can read it and nobody can write it.
   */
  systemdCredential?: boolean;
}

/** Open, check and parse a PEM RSA private key (PKCS#1 or PKCS#8). Throws KeyFileError with a one-line fix. */
export function loadPrivateKey(path: string, opts: LoadKeyOptions = {}): KeyObject {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOCTTY ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new KeyFileError(`private key file ${path} does not exist; check private_key_path`, path, "missing");
    if (code === "EACCES")
      throw new KeyFileError(
        `private key file ${path} is not readable by this user; fix with: chown $(id -u) ${path} && chmod 600 ${path}`,
        path,
        "unreadable",
      );
    if (code === "EISDIR") throw new KeyFileError(`private key path ${path} is a directory, not a key file`, path, "not_a_file");
    throw new KeyFileError(`cannot open private key file ${path}: ${code ?? "error"}`, path, "unreadable");
  }
  let pem: Buffer | undefined;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new KeyFileError(`private key path ${path} is not a regular file`, path, "not_a_file");
    const uid = opts.uid ?? process.getuid?.();
    if (opts.systemdCredential) {
      if (uid !== undefined && st.uid !== uid && st.uid !== 0 && st.uid !== 65534) {
        throw new KeyFileError(
          `credential ${path} is owned by uid ${st.uid}; systemd's LoadCredential should provide it`,
          path,
          "wrong_owner",
        );
      }
      if ((st.mode & 0o227) !== 0) {
        const mode = (st.mode & 0o777).toString(8).padStart(3, "0");
        throw new KeyFileError(
          `credential ${path} has mode ${mode} (writable or readable by others); fix the source file with: chmod 600`,
          path,
          "too_open",
        );
      }
    } else if (uid !== undefined && st.uid !== uid) {
      throw new KeyFileError(
        `private key file ${path} is owned by uid ${st.uid}, not by this user (uid ${uid}); fix with: chown ${uid} ${path}`,
        path,
        "wrong_owner",
      );
    }
    if (!opts.systemdCredential && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(3, "0");
      throw new KeyFileError(
        `private key file ${path} is readable by group or others (mode ${mode}); fix with: chmod 600 ${path}`,
        path,
        "too_open",
      );
    }
    if (st.size > MAX_KEY_BYTES)
      throw new KeyFileError(`private key file ${path} is ${st.size} bytes, too large for a PEM key`, path, "too_large");
    pem = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, pem, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    const text = pem.subarray(0, off);
    if (text.includes("ENCRYPTED")) {
      throw new KeyFileError(
        `private key file ${path} is passphrase-protected; export it unencrypted (openssl rsa -in KEY -out ${path}) and chmod 600 it`,
        path,
        "encrypted",
      );
    }
    let key: KeyObject;
    try {
      key = privateKeyFromPem(text);
    } catch {
      // The parser's message can quote the input; say only what is wrong.
      throw new KeyFileError(
        `private key file ${path} is not a PEM private key (expected an RSA key in PKCS#1 or PKCS#8 PEM, as Kalshi's key download gives it)`,
        path,
        "not_a_key",
      );
    }
    if (key.asymmetricKeyType !== "rsa") {
      throw new KeyFileError(
        `private key file ${path} holds a ${key.asymmetricKeyType ?? "non-RSA"} key; Kalshi API keys are RSA`,
        path,
        "not_rsa",
      );
    }
    return key;
  } finally {
    pem?.fill(0);
    closeSync(fd);
  }
}
