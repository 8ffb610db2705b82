// BOT_DISABLE_TRADING: read at every check (not cached), so flipping it for a running process
// (e.g. through systemd's environment on restart, or a test) takes effect before the next order.
// Fail closed: any value that is not clearly "off" disables trading.
export interface KillSwitchState {
  active: boolean;
  /** The raw value, for the heartbeat and logs. */
  value: string | null;
}

const OFF = new Set(["", "0", "false", "no", "off"]);

export function killSwitch(env: NodeJS.ProcessEnv = process.env): KillSwitchState {
  const raw = env.BOT_DISABLE_TRADING;
  if (raw === undefined) return { active: false, value: null };
  return { active: !OFF.has(raw.trim().toLowerCase()), value: raw };
}
