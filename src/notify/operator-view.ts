// What the daemon starts beside the engine for the operator: notifications (when `notify` names a
// channel) and the dashboard (dashboard.enabled). Neither can stop or slow trading: a dashboard
// that cannot bind is a warning, and the notifier only reads.
import type { LoadedConfig } from "../config/load.ts";
import { log } from "../ops/log.ts";
import { redact } from "../ops/redact.ts";
import type { StatusArgs } from "../dashboard/state.ts";
import { serveDashboard } from "../dashboard/serve.ts";
import { startNotifier, type Notifier } from "./notifier.ts";

export interface OperatorView {
  stop(): Promise<void>;
}

export function startOperatorView(loaded: LoadedConfig, args: StatusArgs, opts: { once: boolean; mode: "trade" | "scan" }): OperatorView {
  // --once runs from cron: a start and stop message every run would be noise.
  let notifier: Notifier | null = null;
  if (opts.mode === "trade" && loaded.config.notify.from === "bot") {
    try {
      notifier = startNotifier(loaded, args, { startStop: !opts.once });
    } catch (e) {
      log.warn(`notifications not started: ${redact((e as Error).message)}; trading goes on`);
    }
  }
  let server: { stop(force?: boolean): unknown } | null = null;
  if (loaded.config.dashboard.enabled && !opts.once) {
    try {
      const d = serveDashboard(loaded, args);
      server = d.server;
      log.info(`dashboard: ${d.url} (Prometheus metrics at ${d.url}metrics)`);
    } catch (e) {
      log.warn(`dashboard not started: ${(e as Error).message}; trading goes on`);
    }
  }
  return {
    async stop() {
      server?.stop(true);
      await notifier?.stop();
    },
  };
}
