#!/bin/sh
# kalshi-bot-alert UNIT               called by kalshi-bot-alert@.service when a kalshi-bot unit fails
#                                     (OnFailure=); the message says why (see below)
# kalshi-bot-alert --recovered UNIT   called after every successful watchdog run (ExecStartPost= of
#                                     the watchdog units); alerts only when that run saw the bot recover
# Installed as /opt/kalshi-bot/kalshi-bot-alert.
#
# Always writes a line to the journal; optionally posts to a webhook and/or runs a command, both
# configured in /etc/kalshi-bot/alert.env:
#   ALERT_WEBHOOK_URL=https://hooks.example.com/...   (receives {"text": "<message>"})
#   ALERT_COMMAND=/usr/local/bin/page-me              (run with the message as its only argument)
#
# Why, and only once: a failed watchdog run carries the watchdog's own one-line verdict, read from
# the watchdog's memory (<state dir>/reports/watchdog-state.json, written by `kalshi-bot watchdog`).
# When that says the problem is the same as on the previous run ("repeat"), nothing is posted: one
# alert per change of state, and one (--recovered) when the bot is healthy again. Another failed
# unit (the bot, a backup) carries its own last error line from the journal (e.g. "live trading
# refused: ..."), else its last STATUS= line, else the heartbeat's last_error.
set -u

mode=failed
if [ "${1:-}" = "--recovered" ]; then mode=recovered; shift; fi
unit=${1:-unknown-unit}
host=$(uname -n 2>/dev/null || echo unknown-host)

# The failed unit's state directory: kalshi-bot*@NAME.service -> /var/lib/kalshi-bot-NAME.
case "$unit" in
  *@*.service) inst=${unit#*@}; inst=${inst%.service}; state=/var/lib/kalshi-bot-$inst ;;
  *) state=/var/lib/kalshi-bot ;;
esac
state=${KALSHI_BOT_STATE_DIR:-$state}
wd_state=$state/reports/watchdog-state.json

# json_field KEY FILE: a string value of a JSON file written one key per line (JSON.stringify(x, null, 2)).
json_field() {
  sed -n "s/^  \"$1\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p" "$2" 2>/dev/null | head -n 1 | sed 's/\\"/"/g; s/\\\\/\\/g'
}

post() { # post MESSAGE PRIORITY
  printf '<%s>%s\n' "$2" "$1" >&2
  rc=0
  if [ -n "${ALERT_WEBHOOK_URL:-}" ]; then
    esc=$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')
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
    "$ALERT_COMMAND" "$1" || { printf '<3>kalshi-bot-alert: ALERT_COMMAND failed\n' >&2; rc=1; }
  fi
  return "$rc"
}

if [ "$mode" = recovered ]; then
  [ "$(json_field alert "$wd_state")" = recovered ] || exit 0
  msg=$(json_field message "$wd_state")
  post "${msg:-kalshi-bot on ${host}: recovered}" 5
  exit $?
fi

# journal_reason: the failed run's last error line (indented detail lines skipped), else its last
# line. Reading the journal needs group systemd-journal (SupplementaryGroups= in the alert unit).
# journald reads the unit's output stream on its own schedule: on a busy machine the failed run's
# last lines can be stored after this alert has started (seen at load 38: an alert without the
# bot's refusal line), so an error line is looked for again, every 0.5 s for up to 10 s, before
# falling back; a run that logged no error line delays its alert by those 10 s.
journal_reason() {
  inv=$(systemctl show --property=InvocationID --value "$unit" 2>/dev/null)
  [ -n "$inv" ] || return 0
  tries=0
  while :; do
    r=$(journalctl --no-pager -o cat -p err -u "$unit" "_SYSTEMD_INVOCATION_ID=$inv" 2>/dev/null | grep -v '^[[:space:]]' | tail -n 1)
    if [ -n "$r" ] || [ "$tries" -ge 20 ]; then break; fi
    tries=$((tries + 1))
    sleep 0.5
  done
  [ -n "$r" ] || r=$(journalctl --no-pager -o cat -u "$unit" "_SYSTEMD_INVOCATION_ID=$inv" 2>/dev/null | grep -v '^[[:space:]]' | tail -n 1)
  printf '%s' "$r"
}

detail=$(systemctl show --property=Result --property=ExecMainStatus --value "$unit" 2>/dev/null | tr '\n' ' ' | sed 's/ *$//')
why=""
case "$unit" in
  kalshi-bot-watchdog*)
    case "$(json_field alert "$wd_state")" in
      repeat)
        printf '<5>kalshi-bot-alert: %s failed again with the same problem (since %s), alerted then; not posting again: %s\n' \
          "$unit" "$(json_field since "$wd_state")" "$(json_field reason "$wd_state")" >&2
        exit 0 ;;
    esac
    why=$(json_field reason "$wd_state")
    [ -n "$why" ] || why=$(journal_reason)
    ;;
  *)
    # The unit's own last error line of its failed run (the bot's refusal or halt reason), else its
    # last STATUS= line, else the heartbeat's last_error.
    why=$(journal_reason)
    [ -n "$why" ] || why=$(systemctl show --property=StatusText --value "$unit" 2>/dev/null | head -n 1)
    case "$unit" in
      kalshi-bot.service|kalshi-bot@*)
        [ -n "$why" ] || why=$(json_field last_error "$state/reports/heartbeat.json") ;;
    esac
    ;;
esac
msg="kalshi-bot ALERT on ${host}: ${unit} failed${detail:+ (result, exit status: ${detail})}${why:+: ${why}}. See: journalctl -u ${unit} -n 200"
# <2> = critical, read by journald from the stream prefix.
post "$msg" 2
