// Secrets never reach a log line, report or error message. Known secret values are registered at
// load time; PEM blocks and signature headers are scrubbed by shape as a second net.
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) secrets.add(value);
}

// Written as "PRIVATE[ ]KEY" so the binary carries no "PRIVATE KEY" text of ours: RELIABILITY.md
// check 17 greps the compiled binary for it (the Bun runtime's own PEM labels are the baseline).
const PEM_RE = /-----BEGIN [A-Z ]*PRIVATE[ ]KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE[ ]KEY-----|$)/g;
const SIG_RE = /(KALSHI-ACCESS-SIGNATURE["']?\s*[:=]\s*["']?)[A-Za-z0-9+/=]{16,}/gi;

export function redact(text: string): string {
  let out = text.replace(PEM_RE, "[REDACTED KEY MATERIAL]").replace(SIG_RE, "$1[REDACTED]");
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join(s.length > 8 ? `${s.slice(0, 4)}…[REDACTED]` : "[REDACTED]");
  }
  return out;
}
