#!/bin/sh
# kalshi-bot-alert UNIT: called by kalshi-bot-alert@.service when a kalshi-bot unit fails
# (OnFailure=). Installed as /opt/kalshi-bot/kalshi-bot-alert.
# Always writes a critical line to the journal; optionally posts to a webhook and/or runs a command,
# both configured in /etc/kalshi-bot/alert.env:
#   ALERT_WEBHOOK_URL=https://hooks.example.com/...   (receives {"text": "<message>"})
#   ALERT_COMMAND=/usr/local/bin/page-me              (run with the message as its only argument)
set -u

unit=${1:-unknown-unit}
host=$(uname -n 2>/dev/null || echo unknown-host)
detail=$(systemctl show --property=Result --property=ExecMainStatus --value "$unit" 2>/dev/null | tr '\n' ' ' | sed 's/ *$//')
msg="kalshi-bot ALERT on ${host}: ${unit} failed${detail:+ (result, exit status: ${detail})}. See: journalctl -u ${unit} -n 200"

# <2> = critical, read by journald from the stream prefix.
printf '<2>%s\n' "$msg" >&2

rc=0
if [ -n "${ALERT_WEBHOOK_URL:-}" ]; then
  esc=$(printf '%s' "$msg" | sed 's/\\/\\\\/g; s/"/\\"/g')
  body=$(printf '{"text":"%s"}' "$esc")
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 20 -H 'Content-Type: application/json' -d "$body" "$ALERT_WEBHOOK_URL" >/dev/null || rc=1
  elif command -v wget >/dev/null 2>&1; then
    wget -q -T 20 -O /dev/null --header='Content-Type: application/json' --post-data="$body" "$ALERT_WEBHOOK_URL" || rc=1
  else
    printf '<3>kalshi-bot-alert: ALERT_WEBHOOK_URL is set but neither curl nor wget is installed\n' >&2
    rc=1
  fi
  [ "$rc" -eq 0 ] || printf '<3>kalshi-bot-alert: posting to the webhook failed\n' >&2
fi
if [ -n "${ALERT_COMMAND:-}" ]; then
  "$ALERT_COMMAND" "$msg" || { printf '<3>kalshi-bot-alert: ALERT_COMMAND failed\n' >&2; rc=1; }
fi
exit "$rc"
