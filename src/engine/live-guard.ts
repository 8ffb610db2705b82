// Live trading needs two explicit signals (the anchors' lesson): `dry_run: false` AND either
// `autonomous_mode: true` or a person at a terminal confirming every order. Unattended live
// trading without autonomous_mode is refused with the guide's checklist (exit 11, which systemd
// does not restart). Live trading also needs an explicit scope: never "whatever the exchange lists".
import type { LoadedConfig } from "../config/load.ts";
import { EXIT, UserError } from "../errors.ts";
import type { Scope } from "./market-data.ts";

export const LIVE_CHECKLIST = [
  "Autonomous live checklist (operations guide):",
  "  1. advanced_config.json: trading.dry_run=false, trading.autonomous_mode=true, trading.non_interactive=true",
  "     and an explicit scope (trading.series_tickers, allowed_market_tickers or allowed_event_tickers)",
  "  2. kalshi-bot --verify-config --mode trade",
  "  3. kalshi-bot --mode trade --once --skip-setup-wizard --non-interactive",
  "  4. confirm reports/heartbeat.json updates",
  "  5. BOT_DISABLE_TRADING=1 kalshi-bot --mode trade --once --skip-setup-wizard --non-interactive  (kill switch test)",
];

export function hasExplicitScope(loaded: LoadedConfig): boolean {
  const t = loaded.config.trading;
  return t.series_tickers.length + t.allowed_market_tickers.length + t.allowed_event_tickers.length > 0;
}

export function checkLiveTrading(loaded: LoadedConfig, opts: { interactive: boolean }): void {
  const t = loaded.config.trading;
  if (t.dry_run) return;
  if (!hasExplicitScope(loaded)) {
    throw new UserError(
      "live trading refused: dry_run is false but no scope is set; list the markets to trade in trading.series_tickers, allowed_market_tickers or allowed_event_tickers",
      EXIT.LIVE_REFUSED,
      LIVE_CHECKLIST,
    );
  }
  if (!t.autonomous_mode && !opts.interactive) {
    throw new UserError(
      "live trading refused: dry_run is false and autonomous_mode is false, but nobody is at a terminal to confirm each order (non-interactive); set trading.autonomous_mode=true for unattended live trading, or set dry_run=true",
      EXIT.LIVE_REFUSED,
      LIVE_CHECKLIST,
    );
  }
}

/** The configured scope; empty means the whole exchange, allowed only against the local exchange. */
export function resolveScope(loaded: LoadedConfig): Scope {
  const t = loaded.config.trading;
  const whole = !hasExplicitScope(loaded);
  if (whole && loaded.config.exchange.environment !== "sim") {
    throw new UserError(
      `no scope set for ${loaded.config.exchange.environment}: list markets in trading.series_tickers, allowed_market_tickers or allowed_event_tickers (only the local sim exchange may be traded whole)`,
      EXIT.USAGE,
    );
  }
  return { seriesTickers: t.series_tickers, eventTickers: t.allowed_event_tickers, marketTickers: t.allowed_market_tickers, whole };
}
