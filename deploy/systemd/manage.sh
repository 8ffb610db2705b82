#!/usr/bin/env bash
# One-command operations for the kalshi-bot systemd service (installed copy: /opt/kalshi-bot/manage.sh).
#
#   manage.sh [--instance NAME] COMMAND [ARGS]
#
#   start            enable and start the bot, its watchdog timer and its backup timer
#   stop             stop the bot (and its watchdog timer); it starts again at boot unless `disable`
#   restart          restart the bot (e.g. after installing a new binary or editing the config)
#   status           service state, timers, and the bot's own status (heartbeat, bankroll, orders)
#   logs [ARGS]      journal of the bot, its watchdog and backups; default: last 200 lines and follow
#                    (ARGS go to journalctl instead, e.g. `logs --since today --no-pager`)
#   backup           run a verified backup now (same user and sandbox as the daily timer)
#   health           the watchdog verdict now (exit 0 healthy, 6 unhealthy), without sending alerts
#   pause [REASON]   disable trading in the running bot now, no restart (resting orders cancelled)
#   resume           end a pause; the bot trades again within seconds
#   verify           kalshi-bot --verify-config --mode trade, with the service's user and key
#   once [--kill-switch]  one trading cycle with the service's user, key and paths (service stopped)
#   restore BACKUP [--force]  restore the database from BACKUP (service stopped)
#   disable          stop the bot and its timers and keep them from starting at boot
#   install [ARGS]   run install.sh (ARGS: --key PATH, --cron, ...)
#   uninstall        remove program and units; config, key and data are kept
#
# --instance NAME works with the template unit kalshi-bot@NAME.service (config /etc/kalshi-bot/NAME.json).
set -euo pipefail

BIN=/opt/kalshi-bot/kalshi-bot
BOT_USER=kalshi-bot
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# die MESSAGE [EXIT_CODE]: one line on stderr (the message only, never the code), then exit.
die() { echo "manage.sh: $1" >&2; exit "${2:-1}"; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

instance=""
while [ $# -gt 0 ]; do
  case "$1" in
    --instance) [ $# -ge 2 ] || die "--instance needs a name" 2; instance=$2; shift 2 ;;
    --instance=*) instance=${1#*=}; shift ;;
    -h|--help|help) usage; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { usage >&2; exit 2; }
cmd=$1; shift

if [ -n "$instance" ]; then
  [[ "$instance" =~ ^[A-Za-z0-9_-]{1,64}$ ]] || die "instance name '$instance' must be letters, digits, '-' or '_'" 2
  UNIT="kalshi-bot@$instance.service"
  WD_TIMER="kalshi-bot-watchdog@$instance.timer"
  BK_SERVICE="kalshi-bot-backup@$instance.service"
  BK_TIMER="kalshi-bot-backup@$instance.timer"
  WD_SERVICE="kalshi-bot-watchdog@$instance.service"
  CONFIG="/etc/kalshi-bot/$instance.json"
  KEY="/etc/kalshi-bot/$instance.key"
  STATE="/var/lib/kalshi-bot-$instance"
  STATE_NAME="kalshi-bot-$instance"
  ENVFILE="/etc/kalshi-bot/$instance.environment"
else
  UNIT="kalshi-bot.service"
  WD_TIMER="kalshi-bot-watchdog.timer"
  BK_SERVICE="kalshi-bot-backup.service"
  BK_TIMER="kalshi-bot-backup.timer"
  WD_SERVICE="kalshi-bot-watchdog.service"
  CONFIG="/etc/kalshi-bot/advanced_config.json"
  KEY="/etc/kalshi-bot/kalshi.key"
  STATE="/var/lib/kalshi-bot"
  STATE_NAME="kalshi-bot"
  ENVFILE="/etc/kalshi-bot/environment"
fi
LOCK="$STATE/kalshi-bot.lock"
suffix=""
[ -n "$instance" ] && suffix=" --instance $instance"

need_systemd() {
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then return 0; fi
  die "systemd is not running on this machine (PID 1 is not systemd). Run the binary directly ($BIN --help) and schedule backups with deploy/cron/kalshi-bot." 1
}
need_root() {
  [ "$(id -u)" -eq 0 ] || die "'$cmd' needs root: run  sudo $0$suffix $cmd" 4
}
need_installed() {
  [ -x "$BIN" ] || die "kalshi-bot is not installed ($BIN missing): run  sudo $0 install  (from the release folder or checkout)" 5
  local unit_file="/etc/systemd/system/$UNIT"
  [ -n "$instance" ] && unit_file="/etc/systemd/system/kalshi-bot@.service"
  [ -f "$unit_file" ] || die "unit $UNIT is not installed ($unit_file missing): run  sudo $0 install" 5
  [ -f "$CONFIG" ] || die "config $CONFIG missing: run  sudo $0$suffix install  (it writes the template)" 5
}
need_key() {
  [ -f "$KEY" ] || die "private key $KEY missing: sudo install -m 0600 -o root -g root YOUR-KEY.pem $KEY" 5
}
backup_by_cron() { [ -f /etc/cron.d/kalshi-bot ] && [ -z "$instance" ]; }

# as_bot CMD...: run a command as the bot's user (root: runuser; the bot user itself: directly).
as_bot() {
  if [ "$(id -un)" = "$BOT_USER" ]; then
    "$@"
  elif [ "$(id -u)" -eq 0 ]; then
    runuser -u "$BOT_USER" -- "$@"
  else
    die "'$cmd' reads the bot's private state ($STATE): run  sudo $0$suffix $cmd" 4
  fi
}

# in_sandbox [ENV=VAL...] -- ARGS...: run the binary like the service does (user, key credential,
# state directory, umask, config), attached to this terminal, and return its exit status.
in_sandbox() {
  local props=(
    --quiet --wait --pipe --collect --service-type=exec
    "--property=User=$BOT_USER" "--property=Group=$BOT_USER" --property=UMask=0077
    "--property=StateDirectory=$STATE_NAME" --property=StateDirectoryMode=0700
    "--property=WorkingDirectory=$STATE"
    "--property=LoadCredential=kalshi-private-key:$KEY"
    "--setenv=KALSHI_BOT_CONFIG=$CONFIG"
  )
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do props+=("--setenv=$1"); shift; done
  shift
  if [ -f "$ENVFILE" ]; then props+=("--property=EnvironmentFile=$ENVFILE"); fi
  systemd-run "${props[@]}" "$BIN" "$@"
}

# confirm_up SINCE RC VERB: after systemctl start/restart returned RC, watch the unit for a few
# seconds (a bot that refuses to trade exits right after READY); on failure print the bot's own last
# journal lines since SINCE (its reason), not only systemd's "Job failed", and exit 1.
confirm_up() {
  local since=$1 rc=$2 verb=$3 _
  if [ "$rc" -eq 0 ]; then
    echo "manage.sh: $UNIT is up; checking that it stays up for 3 s..."
    for _ in 1 2 3; do
      sleep 1
      systemctl is-active --quiet "$UNIT" || { rc=1; break; }
    done
  fi
  systemctl --no-pager --lines=0 status "$UNIT" 2>/dev/null | sed -n '1,12p' || true
  if [ "$rc" -ne 0 ] || ! systemctl is-active --quiet "$UNIT"; then
    echo "manage.sh: $UNIT was not $verb; its last lines:" >&2
    journalctl -u "$UNIT" --since "$since" --no-pager -o cat -n 15 >&2 || true
    die "$UNIT is not running (state $(systemctl show -p ActiveState --value "$UNIT" 2>/dev/null), result $(systemctl show -p Result --value "$UNIT" 2>/dev/null)); fix the cause above, then  sudo $0$suffix restart   (more:  $0$suffix logs)" 1
  fi
}

refuse_if_running() {
  if systemctl is-active --quiet "$UNIT"; then
    die "$UNIT is running and holds the lock: stop it first ( sudo $0$suffix stop ), then run '$cmd' again" 3
  fi
}

case "$cmd" in
  start)
    need_systemd; need_root; need_installed; need_key
    units=("$UNIT" "$WD_TIMER")
    backup_by_cron || units+=("$BK_TIMER")
    since=$(date '+%Y-%m-%d %H:%M:%S')
    echo "manage.sh: starting $UNIT: waiting for the bot to report ready (lock held, database open, exchange reached; up to 3 min)..."
    rc=0
    systemctl enable --now "${units[@]}" || rc=$?
    confirm_up "$since" "$rc" started
    echo "manage.sh: started $UNIT (watchdog every 5 min; backup daily at 02:00)"
    ;;
  stop)
    need_systemd; need_root; need_installed
    systemctl stop "$UNIT" "$WD_TIMER"
    echo "manage.sh: stopped $UNIT. It starts again at boot; to prevent that:  sudo $0$suffix disable"
    ;;
  disable)
    need_systemd; need_root; need_installed
    systemctl disable --now "$UNIT" "$WD_TIMER" "$BK_TIMER"
    echo "manage.sh: stopped and disabled $UNIT and its timers"
    ;;
  restart)
    need_systemd; need_root; need_installed; need_key
    systemctl reset-failed "$UNIT" 2>/dev/null || true
    since=$(date '+%Y-%m-%d %H:%M:%S')
    echo "manage.sh: restarting $UNIT: waiting for the bot to stop (it cancels its resting orders first) and to report ready again..."
    rc=0
    systemctl restart "$UNIT" || rc=$?
    [ "$rc" -ne 0 ] || systemctl start "$WD_TIMER" || rc=$?
    confirm_up "$since" "$rc" restarted
    echo "manage.sh: restarted $UNIT"
    ;;
  status)
    need_systemd; need_installed
    rc=0
    systemctl --no-pager --lines=10 status "$UNIT" || rc=$?
    echo
    systemctl --no-pager list-timers "$WD_TIMER" "$BK_TIMER" || true
    echo
    if [ "$(id -u)" -eq 0 ] || [ "$(id -un)" = "$BOT_USER" ]; then
      as_bot "$BIN" status --config "$CONFIG" || true
    else
      echo "(run with sudo to also see the bot's heartbeat, bankroll and open orders)"
    fi
    exit "$rc"
    ;;
  logs)
    need_systemd
    if [ "$(id -u)" -ne 0 ] && ! id -nG | tr ' ' '\n' | grep -qxE 'adm|systemd-journal'; then
      echo "manage.sh: you may only see your own messages; run with sudo (or join group systemd-journal) for the bot's logs" >&2
    fi
    if [ $# -eq 0 ]; then set -- -n 200 -f; fi
    exec journalctl -u "$UNIT" -u "$WD_SERVICE" -u "$BK_SERVICE" -u "kalshi-bot-alert@$UNIT.service" "$@"
    ;;
  backup)
    need_systemd; need_root; need_installed
    echo "manage.sh: running $BK_SERVICE (verified backup to $STATE/backups)"
    rc=0
    systemctl start "$BK_SERVICE" || rc=$?
    journalctl -u "$BK_SERVICE" -n 5 --no-pager -o cat || true
    [ "$rc" -eq 0 ] || die "backup failed: see  journalctl -u $BK_SERVICE" 5
    ;;
  health)
    need_installed
    rc=0
    as_bot "$BIN" watchdog --no-alert --config "$CONFIG" || rc=$?
    exit "$rc"
    ;;
  pause)
    need_installed
    as_bot "$BIN" pause --config "$CONFIG" ${1:+--reason "$1"}
    ;;
  resume)
    need_installed
    as_bot "$BIN" resume --config "$CONFIG"
    ;;
  verify)
    need_systemd; need_root; need_installed; need_key
    in_sandbox -- --verify-config --mode trade --config "$CONFIG"
    ;;
  once)
    need_systemd; need_root; need_installed; need_key
    env_args=()
    case "${1:-}" in
      "") ;;
      --kill-switch) env_args+=("BOT_DISABLE_TRADING=1") ;;
      *) die "once takes only --kill-switch" 2 ;;
    esac
    refuse_if_running
    in_sandbox "${env_args[@]}" -- --mode trade --once --skip-setup-wizard --non-interactive \
      --config "$CONFIG" --lock-file "$LOCK"
    ;;
  restore)
    need_root; need_installed
    [ $# -ge 1 ] || die "usage: $0$suffix restore BACKUP_FILE [--force]" 2
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then refuse_if_running; fi
    backup=$(readlink -f -- "$1"); shift
    as_bot "$BIN" restore "$backup" "$@" --config "$CONFIG"
    ;;
  install)
    need_root
    for s in "$here/../../scripts/install.sh" "$here/scripts/install.sh" "$here/install.sh"; do
      if [ -f "$s" ]; then
        exec bash "$s" ${instance:+--instance "$instance"} "$@"
      fi
    done
    die "install.sh not found next to manage.sh (run it from the release folder or a checkout)" 5
    ;;
  uninstall)
    need_root
    for s in "$here/../../scripts/install.sh" "$here/scripts/install.sh" "$here/install.sh"; do
      if [ -f "$s" ]; then exec bash "$s" --uninstall "$@"; fi
    done
    die "install.sh not found next to manage.sh" 5
    ;;
  *)
    die "unknown command '$cmd' (see --help)" 2
    ;;
esac
