// `kalshi-bot dashboard`: the web dashboard and Prometheus /metrics, served on their own (the bot
// need not run, and this process never takes its lock). Runs until SIGTERM/SIGINT.
import { defineCommand } from "citty";
import { configArgs, guarded, lockArgs, UserError, EXIT } from "./shared.ts";
import { loadOrExplain } from "./config.ts";
import { log } from "../ops/log.ts";
import { DashboardConfigError } from "../dashboard/server.ts";
import { serveDashboard } from "../dashboard/serve.ts";
import { startNotifier } from "../notify/notifier.ts";
import { COMMAND_META } from "./command-meta.ts";

export async function dashboardMain(args: Record<string, unknown>): Promise<number> {
  const loaded = loadOrExplain(args as { config?: string; "lock-file"?: string }, { readOnly: true });
  let port: number | undefined;
  if (args.port !== undefined) {
    port = Number(args.port);
    if (!/^\d+$/.test(String(args.port)) || port > 65_535)
      throw new UserError(`--port must be a whole number from 0 to 65535 (0 picks a free port), not "${String(args.port)}"`, EXIT.USAGE);
  }
  const host = typeof args.host === "string" ? args.host : undefined;
  if (host === "") throw new UserError("--host needs an address, e.g. --host 127.0.0.1", EXIT.USAGE);
  const statusArgs = { config: args.config as string | undefined, "lock-file": args["lock-file"] as string | undefined };
  let served;
  try {
    served = serveDashboard(loaded, statusArgs, { ...(host ? { host } : {}), ...(port !== undefined ? { port } : {}) });
  } catch (e) {
    if (e instanceof DashboardConfigError) throw new UserError(e.message, EXIT.USAGE);
    throw e;
  }
  log.info(`dashboard: ${served.url} (Prometheus metrics at ${served.url}metrics); read-only, Ctrl-C to stop`);
  // notify.from "dashboard": this process sends the notifications instead of the bot's.
  const notifier = loaded.config.notify.from === "dashboard" ? startNotifier(loaded, statusArgs, { startStop: true }) : null;
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once("SIGTERM", done);
    process.once("SIGINT", done);
  });
  served.server.stop(true);
  await notifier?.stop();
  return EXIT.OK;
}

export default defineCommand({
  meta: COMMAND_META.dashboard,
  args: {
    ...configArgs,
    ...lockArgs,
    host: {
      type: "string",
      description: "Address to bind (overrides dashboard.host; beyond loopback needs dashboard.token)",
      valueHint: "ADDR",
    },
    port: { type: "string", description: "Port (overrides dashboard.port; 0 picks a free one)", valueHint: "N" },
  },
  run: guarded(async ({ args }) => dashboardMain(args)),
});
