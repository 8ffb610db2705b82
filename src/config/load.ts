// Load advanced_config.json: defaults → file → environment → flags, then resolve paths against the
// config file's folder. Every problem becomes a ConfigError naming the key's path and the fix.
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { configSchema, type Config } from "./schema.ts";
import { findDuplicateKey } from "./duplicate-keys.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
  }
}

export const DEFAULT_CONFIG_FILE = "advanced_config.json";
/** advanced_config.json is a few kilobytes; anything this large is the wrong file. */
export const MAX_CONFIG_BYTES = 1 << 20;
export const CREDENTIAL_KEY_NAME = "kalshi-private-key";
/** How long a named pipe given as the config may stay without a writer before it is refused. */
export const CONFIG_PIPE_WAIT_MS = 5_000;

export interface ResolvedPaths {
  database: string;
  backupsDir: string;
  reportsDir: string;
  heartbeat: string;
  lockFile: string;
  logsDir: string;
  /** While it exists, trading is disabled (kalshi-bot pause / resume). */
  killSwitchFile: string;
}

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file read, or null when running on defaults. */
  file: string | null;
  /** Folder relative paths resolve against. */
  baseDir: string;
  paths: ResolvedPaths;
  apiKeyId?: string;
  privateKeyPath?: string;
  /** Where the key path came from, for messages (never the key itself). */
  keySource?: "config" | "env" | "systemd-credential";
}

export interface LoadOptions {
  configPath?: string;
  lockFile?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** When the file is missing and was not named explicitly, fall back to defaults. */
  allowMissing?: boolean;
}

/** zod issues as "path: message" lines. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues
    .map((i) => {
      const path = i.path.map(String).join(".");
      const msg = i.message;
      if (i.code === "unrecognized_keys") {
        const keys = (i as { keys: string[] }).keys;
        return keys.map((k) => `${path ? `${path}.` : ""}${k}: unknown key (remove it or check its spelling)`).join("\n");
      }
      return `${path || "(top level)"}: ${msg}`;
    })
    .flatMap((l) => l.split("\n"));
}

export function configFilePath(opts: LoadOptions = {}): { path: string; explicit: boolean } {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  if (opts.configPath !== undefined) {
    if (opts.configPath === "") throw new ConfigError("--config needs a path, e.g. --config ./advanced_config.json");
    return { path: resolve(cwd, opts.configPath), explicit: true };
  }
  if (env.KALSHI_BOT_CONFIG) return { path: resolve(cwd, env.KALSHI_BOT_CONFIG), explicit: true };
  return { path: resolve(cwd, DEFAULT_CONFIG_FILE), explicit: false };
}

/**
 * The config file's text: a regular file of at most MAX_CONFIG_BYTES (a folder, a device such as
 * /dev/zero, or a 20 MB file is refused with the reason, never read without bound).
 */
export function readConfigFile(path: string): string {
  let fd: number;
  try {
    // Non-blocking: opening a named pipe nobody writes to would otherwise block forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    if (code === "ELOOP") throw new ConfigError(`${path} is a symbolic link that loops (ELOOP); point it at the real config file`);
    if (code === "ENOENT" && isSymlink(path))
      throw new ConfigError(`${path} is a symbolic link to a file that does not exist; point it at the real config file`);
    if (code === "ENOENT")
      throw new ConfigError(`config file ${path} not found; create it with \`kalshi-bot setup\` or copy the shipped advanced_config.json`);
    if (code === "EACCES" || code === "EPERM")
      throw new ConfigError(
        `cannot read ${path} (${code}): this user has no read permission; fix it with chmod/chown, or run as the file's owner`,
      );
    if (code === "EISDIR")
      throw new ConfigError(`${path} is a folder, not a config file; pass the file, e.g. --config ${join(path, DEFAULT_CONFIG_FILE)}`);
    throw new ConfigError(`cannot read ${path} (${code}); check the path and its permissions`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory())
      throw new ConfigError(`${path} is a folder, not a config file; pass the file, e.g. --config ${join(path, DEFAULT_CONFIG_FILE)}`);
    // A pipe (`--config /dev/stdin`) is read up to the limit too; devices are refused.
    if (!st.isFile() && !st.isFIFO())
      throw new ConfigError(`${path} is not a regular file; --config needs a JSON file such as ./advanced_config.json`);
    const tooBig = (size: string) =>
      new ConfigError(
        `${path} is ${size}; a config file is a few kilobytes (limit ${MAX_CONFIG_BYTES} bytes): check that --config names advanced_config.json`,
      );
    if (st.size > MAX_CONFIG_BYTES) throw tooBig(`${st.size} bytes`);
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let n = 0;
    const fifo = st.isFIFO();
    const deadline = performance.now() + CONFIG_PIPE_WAIT_MS;
    // A pipe with no writer yet reads as end-of-file, one whose writer is slow as EAGAIN: both wait
    // (bounded), so `--config <(…)` and a named pipe work, and a pipe nobody writes to is refused.
    const waitForWriter = () => {
      if (performance.now() > deadline)
        throw new ConfigError(
          `${path} is a pipe and nothing was written to it within ${CONFIG_PIPE_WAIT_MS / 1000} s; write the config into it, or pass a regular file`,
        );
      Bun.sleepSync(5);
    };
    for (;;) {
      let r: number;
      try {
        r = readSync(fd, buf, n, buf.length - n, null);
      } catch (e) {
        if (fifo && (e as NodeJS.ErrnoException).code === "EAGAIN") {
          waitForWriter();
          continue;
        }
        throw e;
      }
      if (r === 0) {
        if (fifo && n === 0) {
          waitForWriter();
          continue;
        }
        break;
      }
      n += r;
      if (n > MAX_CONFIG_BYTES) throw tooBig("larger than the limit");
    }
    return buf.subarray(0, n).toString("utf8");
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ConfigError(`cannot read ${path} (${code}); check the file and its permissions`);
  } finally {
    closeSync(fd);
  }
}

export function parseConfigText(input: string, file: string): Config {
  // A UTF-8 byte order mark (Windows editors write one) is not part of the JSON.
  const text = input.startsWith("\uFEFF") ? input.slice(1) : input;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file} is not valid JSON (${(e as Error).message}); fix the syntax or regenerate it with \`kalshi-bot setup\``);
  }
  const dup = findDuplicateKey(text);
  if (dup) {
    throw new ConfigError(
      `${file}: key "${dup.path}" appears twice (lines ${dup.firstLine} and ${dup.secondLine}); JSON would silently keep the last one: delete one of them`,
    );
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(`${file} must contain a JSON object; see \`kalshi-bot config schema\``);
  }
  const r = configSchema.safeParse(raw);
  if (!r.success) {
    const problems = formatIssues(r.error);
    throw new ConfigError(`${file} is invalid (${problems.length} problem${problems.length > 1 ? "s" : ""}); fix these keys:`, problems);
  }
  return r.data;
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const { path, explicit } = configFilePath(opts);
  let config: Config;
  let file: string | null = path;
  // A symbolic link that loops or dangles is not "missing": readConfigFile names what is wrong.
  if (!existsSync(path) && !isSymlink(path)) {
    if (explicit || opts.allowMissing === false) {
      throw new ConfigError(`config file ${path} not found; create it with \`kalshi-bot setup\` or copy the shipped advanced_config.json`);
    }
    config = configSchema.parse({});
    file = null;
  } else {
    config = parseConfigText(readConfigFile(path), path);
  }
  const baseDir = file ? dirname(file) : (opts.cwd ?? process.cwd());
  const abs = (p: string) => (isAbsolute(p) ? p : join(baseDir, p));

  let apiKeyId = config.exchange.api_key_id;
  let privateKeyPath = config.exchange.private_key_path ? abs(config.exchange.private_key_path) : undefined;
  let keySource: LoadedConfig["keySource"] = privateKeyPath ? "config" : undefined;
  if (env.KALSHI_API_KEY_ID) apiKeyId = env.KALSHI_API_KEY_ID;
  if (env.KALSHI_PRIVATE_KEY_PATH) {
    privateKeyPath = resolve(opts.cwd ?? process.cwd(), env.KALSHI_PRIVATE_KEY_PATH);
    keySource = "env";
  }
  if (env.CREDENTIALS_DIRECTORY) {
    const cred = join(env.CREDENTIALS_DIRECTORY, CREDENTIAL_KEY_NAME);
    if (existsSync(cred)) {
      privateKeyPath = cred;
      keySource = "systemd-credential";
    }
  }

  const lockFile = opts.lockFile !== undefined ? opts.lockFile : undefined;
  if (lockFile === "") throw new ConfigError("--lock-file needs a path, e.g. --lock-file ./custom.lock");
  const reportsDir = abs(config.paths.reports_dir);
  const paths: ResolvedPaths = {
    database: abs(config.paths.database),
    backupsDir: abs(config.paths.backups_dir),
    reportsDir,
    heartbeat: join(reportsDir, "heartbeat.json"),
    lockFile: lockFile ? resolve(opts.cwd ?? process.cwd(), lockFile) : abs(config.paths.lock_file ?? defaultLockFile(config)),
    logsDir: abs(config.paths.logs_dir),
    killSwitchFile: config.paths.kill_switch_file
      ? abs(config.paths.kill_switch_file)
      : join(dirname(abs(config.paths.database)), "disable-trading"),
  };
  return { config, file, baseDir, paths, apiKeyId, privateKeyPath, keySource };
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The guide's locations: production /var/run/kalshi-bot.lock, everything else /tmp/kalshi-bot.lock. */
export function defaultLockFile(config: Config): string {
  return config.exchange.environment === "production" ? "/var/run/kalshi-bot.lock" : "/tmp/kalshi-bot.lock";
}

/** The merged configuration with secrets redacted, for `config show`. */
export function redactedConfig(loaded: LoadedConfig): unknown {
  const c = structuredClone(loaded.config) as Config;
  const id = loaded.apiKeyId;
  c.exchange.api_key_id = id ? `${id.slice(0, 4)}…(redacted)` : undefined;
  c.exchange.private_key_path = loaded.privateKeyPath;
  if (c.notify.telegram.bot_token) c.notify.telegram.bot_token = "(redacted)";
  if (c.dashboard.token) c.dashboard.token = "(redacted)";
  // A Slack/Discord webhook URL is its own credential: only its origin is shown.
  if (c.notify.webhook_url) c.notify.webhook_url = `${new URL(c.notify.webhook_url).origin}/…(redacted)`;
  return { ...c, _resolved: { file: loaded.file, paths: loaded.paths, key_source: loaded.keySource ?? null } };
}

/** JSON Schema for editors (`kalshi-bot config schema`). */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" });
}
