// The dashboard for a loaded config: used by `kalshi-bot dashboard` and, with dashboard.enabled,
// by the daemon. The handlers read the ledger and heartbeat read-only on every request.
import type { Server } from "bun";
import type { LoadedConfig } from "../config/load.ts";
import { log } from "../ops/log.ts";
import { redact } from "../ops/redact.ts";
import { registerSecret } from "../ops/redact.ts";
import { dashboardToken, startDashboard } from "./server.ts";
import { dashboardState, metricsText, type StatusArgs } from "./state.ts";

export function serveDashboard(
  loaded: LoadedConfig,
  args: StatusArgs,
  override: { host?: string; port?: number } = {},
): { server: Server<undefined>; url: string } {
  const cfg = loaded.config.dashboard;
  const token = dashboardToken(cfg.token);
  registerSecret(token ?? undefined);
  const host = override.host ?? cfg.host;
  const server = startDashboard(
    { host, port: override.port ?? cfg.port, token },
    {
      state: () => dashboardState(loaded, args),
      metrics: () => metricsText(loaded, args),
      warn: (m) => log.warn(redact(m)),
    },
  );
  const shown = host.includes(":") ? `[${host}]` : host;
  return { server, url: `http://${shown}:${server.port}/` };
}
