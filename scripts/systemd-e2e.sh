#!/usr/bin/env bash
# shellcheck disable=SC2016  # ck's conditions are single-quoted on purpose: evaluated by ck, not at the call
# The deployment under a REAL systemd (issue 9): boots systemd 252 as PID 1 of a systemd-nspawn
# container (scripts/sdbox.sh; loopback network only), installs the built dist/kalshi-bot with
# manage.sh install (= scripts/install.sh), runs `kalshi-bot sim` inside it as the exchange, points a
# LIVE config at it (autonomous, explicit scope, a key pair generated now and registered with the
# sim), and checks for real, through systemctl, journalctl and the exchange's own order book:
#   - start: active within seconds, STATUS= line, fresh heartbeat, journal lines with priorities;
#   - stop (systemctl and manage.sh): 0 resting orders of the bot on the exchange, heartbeat stopped
#     with how many it cancelled and could not;
#     `manage.sh once` (a live --once run) leaves 0 resting too;
#   - kill -9 of the main PID: every order of the dead process expires within its TTL
#     (trading.order_ttl_seconds), systemd restarts the bot, no duplicate orders;
#   - SIGSTOP of the main PID: WatchdogSec= kills it and systemd restarts it;
#   - the backup timer makes a verified backup; the watchdog timer on a stale heartbeat fires the
#     alert unit (message with the reason, posted to a webhook on loopback), once, not on every run,
#     and once more when the bot recovers; the config's watchdog webhook likewise;
#   - exit 10 (halt) and 11 (live-trading checklist) are not restarted, and manage.sh start shows the
#     bot's own refusal reason;
#   - every manage.sh verb: install, verify, once, start, status, logs, health, pause, resume, backup,
#     restart, stop.
# Prints "systemd-e2e: PASS|FAIL: ..." per check and "systemd-e2e: N passed, N failed"; exit 1 on any
# failure. Where systemd-nspawn cannot run (not root, no CAP_SYS_ADMIN, not Linux, no apt-get to
# install it) it prints "systemd-e2e: SKIPPED: <reason>" and exits 0. KALSHI_SYSTEMD_E2E=skip skips;
# KALSHI_BOT_BIN=PATH tests another binary than dist/kalshi-bot.
#
# Needs root. Installs systemd-container and debootstrap with apt-get when missing; the box's root
# filesystem is built once (~1-2 min) in $SDBOX_DIR (default /var/tmp/kalshi-bot-sdbox) and reused;
# every run boots it ephemeral (changes vanish at stop). Only one nspawn box may run at a time on a
# machine. A run takes ~3-4 min after the box exists.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$(pwd)
SB="$ROOT/scripts/sdbox.sh"
export SDBOX_DIR=${SDBOX_DIR:-/var/tmp/kalshi-bot-sdbox}
export SDBOX_NAME=${SDBOX_NAME:-kalshi-e2e}
export SDBOX_EPHEMERAL=1
export SDBOX_EXTRA_PKGS=curl   # the alert script posts with curl, as on a VPS

T0=$(date +%s)
pass=0
failed=()
say() { echo "systemd-e2e: $*"; }
ok() { say "PASS: $*"; pass=$((pass + 1)); }
bad() { say "FAIL: $*"; failed+=("$*"); return 1; }
skip() { say "SKIPPED: $*"; exit 0; }
# expect WHAT CMD...: PASS when CMD succeeds
expect() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# ck WHAT CONDITION: PASS when the shell condition (evaluated here, with this script's variables) holds
ck() { local what=$1; shift; if eval "$1"; then ok "$what"; else bad "$what"; fi; }
x() { "$SB" exec "$@"; }
prop() { x systemctl show -p "$2" --value "$1" 2>/dev/null; }
# wait_for SECONDS CMD...: until CMD succeeds (returns 1 at the deadline)
wait_for() {
  local end=$(($(date +%s) + $1)); shift
  until "$@"; do
    [ "$(date +%s)" -ge "$end" ] && return 1
    sleep 0.5
  done
}
elapsed() { echo "$(($(date +%s) - T0))s"; }

# --- can nspawn run here? -------------------------------------------------------------------------
[ "${KALSHI_SYSTEMD_E2E:-}" = skip ] && skip "KALSHI_SYSTEMD_E2E=skip"
[ "$(uname -s)" = Linux ] || skip "not Linux ($(uname -s)): systemd-nspawn needs Linux"
[ "$(id -u)" -eq 0 ] || skip "needs root to boot a systemd-nspawn container (run as root, as .ci/run does)"
command -v unshare >/dev/null 2>&1 || skip "no unshare(1) (util-linux) to probe for namespaces"
if ! unshare --mount --pid --fork true 2>/dev/null; then
  skip "cannot create mount/PID namespaces (no CAP_SYS_ADMIN: an unprivileged container?); systemd-nspawn cannot run here"
fi
[ -d /sys/fs/cgroup ] || skip "no /sys/fs/cgroup: systemd cannot run in a container here"
need=()
command -v systemd-nspawn >/dev/null 2>&1 || need+=(systemd-container)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ "${#need[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || skip "missing ${need[*]} and no apt-get to install them"
  say "installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  # Pin systemd-container to the host's systemd so the host's systemd is not upgraded; wait for
  # another apt-get holding the lock instead of failing.
  v=$(dpkg-query -W -f='${Version}' systemd 2>/dev/null || true)
  pinned=()
  for p in "${need[@]}"; do
    if [ "$p" = systemd-container ] && [ -n "$v" ]; then pinned+=("$p=$v"); else pinned+=("$p"); fi
  done
  { apt-get -o DPkg::Lock::Timeout=600 update -qq &&
    { apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${pinned[@]}" ||
      apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}"; }; } >/tmp/systemd-e2e-apt.log 2>&1 ||
    { tail -20 /tmp/systemd-e2e-apt.log; bad "apt-get install ${need[*]} (log /tmp/systemd-e2e-apt.log)"; say "0 passed, 1 failed"; exit 1; }
fi

# KALSHI_BOT_BIN=PATH tests another build (as the test helpers do); default dist/kalshi-bot.
BIN=${KALSHI_BOT_BIN:-$ROOT/dist/kalshi-bot}
if [ -z "${KALSHI_BOT_BIN:-}" ] && [ ! -x "$BIN" ]; then
  say "dist/kalshi-bot missing: building it"
  node_modules/.bin/bun scripts/build.ts >/dev/null || { bad "build dist/kalshi-bot"; say "0 passed, 1 failed"; exit 1; }
fi

[ -x "$BIN" ] || { bad "no executable binary at $BIN"; say "0 passed, 1 failed"; exit 1; }

# --- the box ----------------------------------------------------------------------------------------
# A root filesystem made without curl (another SDBOX_EXTRA_PKGS) is rebuilt.
if [ -f "$SDBOX_DIR/rootfs/.sdbox-ready" ] && [ ! -x "$SDBOX_DIR/rootfs/usr/bin/curl" ]; then
  "$SB" destroy >/dev/null 2>&1 || true
fi
t=$(date +%s)
"$SB" create 2>&1 | sed 's/^/  /' || true
[ -f "$SDBOX_DIR/rootfs/.sdbox-ready" ] || { bad "create the box (sdbox.sh create)"; say "0 passed, 1 failed"; exit 1; }
say "box ready ($(($(date +%s) - t))s)"

stage=$(mktemp -d)
cleanup() {
  "$SB" stop >/dev/null 2>&1 || true
  rm -rf "$stage"
}
trap cleanup EXIT
"$SB" boot 2>&1 | sed 's/^/  /'
if ! "$SB" status >/dev/null 2>&1; then
  bad "boot the box (see $SDBOX_DIR/run/console.log)"
  say "0 passed, 1 failed"
  exit 1
fi

# The release folder as install.sh expects it: scripts/, deploy/, dist/kalshi-bot.
kb="$stage/kb"
mkdir -p "$kb/scripts" "$kb/dist"
cp scripts/install.sh scripts/restore_db.sh "$kb/scripts/"
cp -r deploy "$kb/deploy"
cp "$BIN" "$kb/dist/kalshi-bot"
cp scripts/systemd-e2e/*.js "$kb/"
# A key pair made now; the sim gets the public half, the bot the private one.
node -e '
  const { generateKeyPairSync } = require("node:crypto");
  const fs = require("node:fs");
  const k = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } });
  fs.writeFileSync(process.argv[1] + "/bot.key", k.privateKey, { mode: 0o600 });
  fs.writeFileSync(process.argv[1] + "/bot.pub", k.publicKey);
' "$kb" || { bad "generate a key pair"; exit 1; }
# Inside the box everything of the test lives under /srv (a folder every Debian root has).
"$SB" cp "$kb" /srv/

KEY_ID=e2e-bot
SIM_PORT=18080
HOOK_PORT=18081
BASE="http://127.0.0.1:$SIM_PORT/trade-api/v2"
M=/opt/kalshi-bot/manage.sh
STATE=/var/lib/kalshi-bot
HB=$STATE/reports/heartbeat.json
orders() { x env BUN_BE_BUN=1 /opt/kalshi-bot/kalshi-bot /srv/kb/exchange-orders.js "$BASE" "$KEY_ID" /srv/kb/bot.key "$@"; }
resting() { orders resting 2>/dev/null || echo "?"; }
resting_is() { [ "$(resting)" = "$1" ]; }
resting_some() { local n; n=$(resting); [ "$n" != "?" ] && [ "$n" -gt 0 ]; }
hb_field() { x sh -c "sed -n 's/^  \"$1\": \"\\{0,1\\}\\([^\",]*\\)\"\\{0,1\\},\\{0,1\\}\$/\\1/p' $HB" 2>/dev/null | head -n 1; }
hb_status_is() { [ "$(hb_field status)" = "$1" ]; }
# What the stopped bot says it did with its resting orders (heartbeat exit_orders): "POLICY CANCELED NOT_CANCELED".
hb_exit_orders() {
  x env BUN_BE_BUN=1 /opt/kalshi-bot/kalshi-bot -e 'const e = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).exit_orders; console.log(e ? `${e.policy} ${e.canceled} ${e.not_canceled}` : "none")' "$HB" 2>/dev/null
}
is_active() { [ "$(prop kalshi-bot.service ActiveState)" = active ]; }
main_pid() { prop kalshi-bot.service MainPID; }
restarted_since() { [ "$(prop kalshi-bot.service NRestarts)" -gt "$1" ] && is_active && [ "$(main_pid)" != "$2" ]; }
hooks() { x sh -c "cat /srv/hooks.log 2>/dev/null" | grep -c "\"path\":\"$1\"" || true; }
hook_has() { x sh -c "cat /srv/hooks.log 2>/dev/null" | grep "\"path\":\"$1\"" | grep -q -- "$2"; }
dropin() { # dropin UNIT NAME CONTENT: a drop-in as an operator would write with systemctl edit
  x mkdir -p "/etc/systemd/system/$1.d"
  printf '%s\n' "$3" >"$stage/dropin.conf"
  "$SB" cp "$stage/dropin.conf" "/etc/systemd/system/$1.d/$2.conf"
  x systemctl daemon-reload
}
show_journal() { x journalctl -u "$1" --no-pager -o short-monotonic -n "${2:-15}" | sed 's/^/    /'; }

# --- install ----------------------------------------------------------------------------------------
say "== install ($(elapsed))"
out=$(x /srv/kb/deploy/systemd/manage.sh install --key /srv/kb/bot.key 2>&1); rc=$?
if [ "$rc" -eq 0 ] && x test -x /opt/kalshi-bot/kalshi-bot && x id kalshi-bot >/dev/null 2>&1; then
  ok "manage.sh install: binary, units, user kalshi-bot, key"
else
  printf '%s\n' "$out" | tail -20
  bad "manage.sh install (exit $rc)"
fi
expect "key installed root:root 0600" [ "$(x stat -c '%U:%G %a' /etc/kalshi-bot/kalshi.key)" = "root:root 600" ]

# The exchange and a webhook receiver, inside the box, on loopback.
x systemd-run --quiet --unit=kb-sim --collect /opt/kalshi-bot/kalshi-bot sim --port "$SIM_PORT" --seed 5 --tier prime \
  --api-key-id "$KEY_ID" --public-key /srv/kb/bot.pub --balance 1000 >/dev/null
x systemd-run --quiet --unit=kb-hook --collect --setenv=BUN_BE_BUN=1 /opt/kalshi-bot/kalshi-bot /srv/kb/hook-receiver.js "$HOOK_PORT" /srv/hooks.log >/dev/null
wait_for 20 x curl -fsS -o /dev/null "$BASE/exchange/status" || wait_for 5 x curl -fsS -o /dev/null "$BASE/series"
series=$(x curl -fsS "$BASE/series" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify(JSON.parse(s).series.map(x=>x.ticker))))')
if [ -n "$series" ] && [ "$series" != "[]" ]; then ok "kalshi-bot sim runs in the box (series $series)"; else bad "the sim in the box answers"; fi

# TTL orders exist when the binary knows trading.order_ttl_seconds (issue 9 item 2); the checks stay either way.
TTL=20
ttl_json=""
if grep -q order_ttl_seconds "$BIN"; then ttl_json="\"order_ttl_seconds\": $TTL,"; fi
# The market maker ships disabled; it is enabled here for the resting orders the checks need.
write_config() { # write_config AUTONOMOUS(true|false) [CONFIG STATE_DIR BASE_URL]
  local dest=${2:-/etc/kalshi-bot/advanced_config.json} STATE=${3:-$STATE} BASE=${4:-$BASE}
  cat >"$stage/config.json" <<EOF
{
  "exchange": { "environment": "sim", "base_url": "$BASE", "api_key_id": "$KEY_ID", "rate_tier": "prime", "request_timeout_ms": 5000 },
  "trading": {
    "dry_run": false, "autonomous_mode": $1, "non_interactive": true, $ttl_json
    "cycle_interval_seconds": 5, "series_tickers": ${series:-[]},
    "strategies": { "market_maker": { "enabled": true } }
  },
  "risk": { "max_orders_per_minute": 600, "max_daily_loss_dollars": "25", "max_drawdown_pct": 90, "min_price": "0.01", "max_price": "0.99" },
  "paths": {
    "database": "$STATE/data/kalshi.sqlite", "backups_dir": "$STATE/backups", "reports_dir": "$STATE/reports",
    "lock_file": "$STATE/kalshi-bot.lock", "logs_dir": "$STATE/logs"
  },
  "backup": { "keep": 14 },
  "watchdog": { "min_bankroll_dollars": "0", "alert_webhook_url": "http://127.0.0.1:$HOOK_PORT/config-hook" },
  "logging": { "level": "info", "format": "auto" }
}
EOF
  "$SB" cp "$stage/config.json" "$dest"
  x chown root:kalshi-bot "$dest"
  x chmod 0640 "$dest"
}
write_config true
printf 'ALERT_WEBHOOK_URL=http://127.0.0.1:%s/alert\n' "$HOOK_PORT" >"$stage/alert.env"
"$SB" cp "$stage/alert.env" /etc/kalshi-bot/alert.env
x chmod 0600 /etc/kalshi-bot/alert.env
# Test pacing only (the shipped values are minutes): watchdog 8 s, restart after 2 s, timers quiet
# until their own scenario.
dropin kalshi-bot.service e2e $'[Service]\nWatchdogSec=8s\nRestartSec=2s'
dropin kalshi-bot-watchdog.timer e2e $'[Timer]\nOnActiveSec=\nOnUnitActiveSec=\nOnActiveSec=1h'
dropin kalshi-bot-backup.timer e2e $'[Timer]\nOnCalendar=\nOnActiveSec=1h'

# --- verify, once -----------------------------------------------------------------------------------
say "== verify, once ($(elapsed))"
out=$(x "$M" verify 2>&1); rc=$?
if [ "$rc" -eq 0 ]; then ok "manage.sh verify (the service's user and key credential)"; else printf '%s\n' "$out" | tail -15; bad "manage.sh verify (exit $rc)"; fi
out=$(x "$M" once 2>&1); rc=$?
total=$(orders total 2>/dev/null || echo 0)
if [ "$rc" -eq 0 ] && [ "$total" -gt 0 ]; then ok "manage.sh once: a live cycle placed $total order(s) on the exchange"; else printf '%s\n' "$out" | tail -15; bad "manage.sh once (exit $rc, $total orders placed)"; fi
n=$(resting)
expect "after a live --once run: 0 of the bot's orders rest on the exchange (found $n)" [ "$n" = 0 ]

# --- start ------------------------------------------------------------------------------------------
say "== start ($(elapsed))"
t=$(date +%s)
out=$(x "$M" start 2>&1); rc=$?
took=$(($(date +%s) - t))
printf '%s\n' "$out" | sed 's/^/    /' | head -20
if [ "$rc" -eq 0 ] && is_active && [ "$took" -le 30 ]; then ok "manage.sh start: active after ${took}s (Type=notify READY)"; else bad "manage.sh start (exit $rc, ${took}s, state $(prop kalshi-bot.service ActiveState))"; fi
expect "manage.sh start says what it waits for" grep -q "waiting for the bot to report ready" <<<"$out"
status_cycle() { prop kalshi-bot.service StatusText | grep -q '^cycle'; }
wait_for 30 status_cycle
st=$(prop kalshi-bot.service StatusText)
expect "the unit's STATUS= line: '$st'" grep -qE '^cycle [0-9]+: ' <<<"$st"
wait_for 30 hb_status_is active
upd=$(hb_field updated_at)
age=$(( $(date +%s) - $(date -d "$upd" +%s 2>/dev/null || echo 0) ))
ck "fresh heartbeat: status $(hb_field status), updated ${age}s ago" '[ "$(hb_field status)" = active ] && [ "$age" -le 30 ]'
pid=$(main_pid)
prios=$(x journalctl -u kalshi-bot.service "_PID=$pid" -o export --no-pager | sed -n 's/^PRIORITY=//p' | sort -u | tr '\n' ' ')
raw=$(x journalctl -u kalshi-bot.service "_PID=$pid" -o cat --no-pager | grep -c '^<[0-7]>' || true)
ck "journal lines of the bot carry syslog priorities (PRIORITY= $prios; raw '<N>' prefixes left: $raw)" 'grep -q 6 <<<"$prios" && [ "$raw" = 0 ]'
expect "the bot's quotes rest on the exchange" wait_for 45 resting_some

# --- the other verbs while it runs ------------------------------------------------------------------
say "== status, logs, health, pause, resume, backup ($(elapsed))"
out=$(x "$M" status 2>&1); rc=$?
ck "manage.sh status: exit 0, unit active, the bot's own status" '[ "$rc" -eq 0 ] && grep -q "active (running)" <<<"$out" && grep -qi heartbeat <<<"$out"' || printf '%s\n' "$out" | tail -20
out=$(x "$M" logs --no-pager -n 30 2>&1); rc=$?
ck "manage.sh logs: the bot's journal" '[ "$rc" -eq 0 ] && grep -q kalshi-bot <<<"$out"'
out=$(x "$M" health 2>&1); rc=$?
ck "manage.sh health: exit 0, healthy ($out)" '[ "$rc" -eq 0 ] && grep -q "^healthy" <<<"$out"'
out=$(x "$M" pause "e2e pause" 2>&1); rc=$?
expect "manage.sh pause: exit 0" [ "$rc" -eq 0 ]
paused() { hb_status_is disabled && resting_is 0; }
expect "paused: heartbeat disabled and the bot's resting orders cancelled" wait_for 40 paused
out=$(x "$M" resume 2>&1); rc=$?
expect "manage.sh resume: exit 0" [ "$rc" -eq 0 ]
resumed() { hb_status_is active && resting_some; }
expect "resumed: heartbeat active and quotes resting again" wait_for 40 resumed
out=$(x "$M" backup 2>&1); rc=$?
nb=$(x sh -c "ls $STATE/backups | wc -l")
ck "manage.sh backup: exit 0, $nb backup file(s)" '[ "$rc" -eq 0 ] && [ "$nb" -ge 1 ]' || printf '%s\n' "$out" | tail -10

# --- restart, systemctl stop ------------------------------------------------------------------------
say "== restart, stop ($(elapsed))"
# The main process's BUN_JSC_* variables, then its last variable and its name.
jsc_env() {
  local e; e=$(x cat "/proc/$1/environ" 2>/dev/null | tr '\0' '\n')
  echo "$(grep '^BUN_JSC_' <<<"$e" | tr '\n' ' ')| last $(tail -n 1 <<<"$e") | $(x cat "/proc/$1/comm" 2>/dev/null)"
}
je=$(jsc_env "$(main_pid)")
ck "the unit starts the daemon with its JavaScriptCore line ($je)" '[ "$je" = "BUN_JSC_useDFGJIT=false | last BUN_JSC_useDFGJIT=false | kalshi-bot" ]'
# From here on the unit lacks that line (as if an operator deleted it): the daemon sets it itself
# by re-executing its binary at start, under the unit's sandbox, keeping the PID systemd watches.
# The variable after it tells the two apart: systemd would put the unit's line before it, the
# re-executed daemon appends its own after everything.
dropin kalshi-bot.service no-jsc '[Service]
UnsetEnvironment=BUN_JSC_useDFGJIT
Environment=KALSHI_BOT_E2E_MARK=1'
pid=$(main_pid)
out=$(x "$M" restart 2>&1); rc=$?
ck "manage.sh restart: exit 0, new main PID $(main_pid) (was $pid)" '[ "$rc" -eq 0 ] && [ "$(main_pid)" != "$pid" ] && is_active' || printf '%s\n' "$out" | tail -15
wait_for 30 status_cycle
je=$(jsc_env "$(main_pid)")
ck "without the unit's line the daemon re-executed itself with it, same main PID and name ($je)" '[ "$je" = "BUN_JSC_useDFGJIT=false | last BUN_JSC_useDFGJIT=false | kalshi-bot" ] && x grep -qa KALSHI_BOT_E2E_MARK=1 "/proc/$(main_pid)/environ" && is_active && status_cycle'
wait_for 45 resting_some
d=$(orders dups)
expect "no duplicate orders after restart ($d)" grep -q '^client_ids=0 levels=0 ' <<<"$d"
x systemctl stop kalshi-bot.service
n=$(resting)
expect "systemctl stop: 0 of the bot's orders rest on the exchange (found $n)" [ "$n" = 0 ]
expect "systemctl stop: heartbeat stopped (is $(hb_field status))" hb_status_is stopped
eo=$(hb_exit_orders)
ck "systemctl stop: the heartbeat says how many orders it cancelled and could not (exit_orders: $eo)" 'grep -qE "^cancel [1-9][0-9]* 0$" <<<"$eo"'
show_journal kalshi-bot.service 4

# --- kill -9 ----------------------------------------------------------------------------------------
say "== kill -9 ($(elapsed))"
# Restart only after the TTL has passed, so what rests then can only be the dead process's orders.
dropin kalshi-bot.service e2e-kill $'[Service]\nRestartSec='"$((TTL + 20))"'s'
x systemctl start kalshi-bot.service
wait_for 45 resting_some
orders resting-ids >"$stage/dead-ids" 2>/dev/null
"$SB" cp "$stage/dead-ids" /srv/dead-ids
nr=$(prop kalshi-bot.service NRestarts); pid=$(main_pid)
say "kill -9 $pid with $(wc -l <"$stage/dead-ids") resting order(s), TTL ${TTL}s"
x kill -9 "$pid"
t=$(date +%s)
of_dead() { orders resting-of /srv/dead-ids 2>/dev/null || echo "?"; }
none_of_dead() { [ "$(of_dead)" = 0 ]; }
if wait_for $((TTL + 15)) none_of_dead; then
  ok "kill -9: every order of the dead process gone from the exchange after $(($(date +%s) - t))s (TTL ${TTL}s)"
else
  bad "kill -9: $(of_dead) order(s) of the dead process still rest $(($(date +%s) - t))s after the kill (TTL ${TTL}s; trading.order_ttl_seconds ${ttl_json:+set}${ttl_json:-unknown to this binary})"
fi
expect "kill -9: systemd restarts the bot (NRestarts $nr -> $(prop kalshi-bot.service NRestarts))" wait_for $((TTL + 45)) restarted_since "$nr" "$pid"
wait_for 45 resting_some
d=$(orders dups)
expect "kill -9: no duplicate orders ($d)" grep -q '^client_ids=0 levels=0 ' <<<"$d"
x rm -f /etc/systemd/system/kalshi-bot.service.d/e2e-kill.conf
x systemctl daemon-reload

# --- SIGSTOP: the watchdog ----------------------------------------------------------------------------
say "== SIGSTOP ($(elapsed))"
wait_for 30 is_active
nr=$(prop kalshi-bot.service NRestarts); pid=$(main_pid)
x kill -STOP "$pid"
expect "SIGSTOP: WatchdogSec kills the hung bot and systemd restarts it" wait_for 60 restarted_since "$nr" "$pid"
expect "the journal names the watchdog timeout" grep -qi 'watchdog timeout' <<<"$(x journalctl -u kalshi-bot.service --no-pager -o cat)"

# --- backup timer -----------------------------------------------------------------------------------
say "== backup timer ($(elapsed))"
before=$(x sh -c "ls $STATE/backups | wc -l")
dropin kalshi-bot-backup.timer e2e $'[Timer]\nOnCalendar=\nOnActiveSec=1s\nRandomizedDelaySec=0\nAccuracySec=1s'
x systemctl restart kalshi-bot-backup.timer
backup_done() { [ "$(x sh -c "ls $STATE/backups | wc -l")" -gt "$before" ] && [ "$(prop kalshi-bot-backup.service Result)" = success ] && [ "$(prop kalshi-bot-backup.service ActiveState)" != activating ]; }
expect "the backup timer ran kalshi-bot-backup.service: a new backup file, unit succeeded" wait_for 60 backup_done
bl=$(x journalctl -u kalshi-bot-backup.service --no-pager -o cat | grep 'backup ok' | tail -n 1)
newest=$(x sh -c "ls -t $STATE/backups/* | head -n 1")
ic=$(x env BUN_BE_BUN=1 /opt/kalshi-bot/kalshi-bot -e 'const { Database } = require("bun:sqlite"); const d = new Database(process.argv[1], { readonly: true }); console.log(d.query("pragma integrity_check").get().integrity_check, d.query("select count(*) as n from orders").get().n)' "$newest" 2>&1)
ck "the timer's backup is verified: '${bl:0:80}...'; integrity_check of $newest: $ic" '[ -n "$bl" ] && grep -qE "^ok [1-9]" <<<"$ic"'

# --- exit 11 (live trading refused) is not restarted -------------------------------------------------------------
say "== exit 11 ($(elapsed))"
not_restarted() { # not_restarted EXIT_STATUS [UNIT]
  local u=${2:-kalshi-bot.service}
  [ "$(prop "$u" ActiveState)" = failed ] && [ "$(prop "$u" ExecMainStatus)" = "$1" ] && [ "$(prop "$u" NRestarts)" = 0 ]
}
x systemctl stop kalshi-bot.service
x systemctl reset-failed kalshi-bot.service >/dev/null 2>&1
write_config false
out=$(x "$M" start 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/    /' | tail -8
ck "manage.sh start refused: exit $rc, the bot's own reason shown (live trading refused), no stray exit code" \
  '[ "$rc" -ne 0 ] && grep -q "live trading refused" <<<"$out" && ! grep -qE "^manage.sh: .* [0-9]+\$" <<<"$out"'
sleep 4
expect "exit 11: not restarted (state $(prop kalshi-bot.service ActiveState), status $(prop kalshi-bot.service ExecMainStatus), NRestarts $(prop kalshi-bot.service NRestarts))" \
  not_restarted 11
expect "exit 11: the alert unit posted why (the bot's own refusal line)" wait_for 20 hook_has /alert "kalshi-bot.service failed.*11.*live trading refused"
x sh -c "grep '/alert' /srv/hooks.log | tail -n 1" | cut -c1-400 | sed 's/^/    /'
write_config true

# --- watchdog timer on a stale heartbeat: one alert with the reason, then one on recovery ----------------
say "== watchdog timer and alerts ($(elapsed))"
x systemctl stop kalshi-bot.service kalshi-bot-watchdog.timer
x systemctl reset-failed >/dev/null 2>&1
# The bot hung an hour ago: its last heartbeat says active.
x sh -c "runuser -u kalshi-bot -- sh -c 'sed -e \"s/^  \\\"updated_at\\\": .*/  \\\"updated_at\\\": \\\"\$(date -u -d \"-1 hour\" +%Y-%m-%dT%H:%M:%S.000Z)\\\",/\" -e \"s/^  \\\"status\\\": .*/  \\\"status\\\": \\\"active\\\",/\" $HB >$HB.e2e && mv $HB.e2e $HB'"
x rm -f "$STATE/reports/watchdog-state.json"
x sh -c ': >/srv/hooks.log'
dropin kalshi-bot-watchdog.timer e2e $'[Timer]\nOnActiveSec=\nOnUnitActiveSec=\nOnActiveSec=1s\nOnUnitActiveSec=3s\nAccuracySec=1s'
x systemctl start kalshi-bot-watchdog.timer
expect "stale heartbeat: the watchdog timer's run failed and the alert unit posted the reason" wait_for 30 hook_has /alert "stale"
x sh -c "grep /alert /srv/hooks.log" | cut -c1-300 | sed 's/^/    /'
expect "the config's watchdog webhook got the reason too" wait_for 10 hook_has /config-hook "UNHEALTHY: heartbeat is stale"
runs_unhealthy() { [ "$(x journalctl -u kalshi-bot-watchdog.service --no-pager -o cat | grep -c 'unhealthy (unchanged since')" -ge "$1" ]; }
wait_for 30 runs_unhealthy 2
ck "two more unhealthy runs: still one alert per channel (alert $(hooks /alert), config $(hooks /config-hook))" '[ "$(hooks /alert)" = 1 ] && [ "$(hooks /config-hook)" = 1 ]'
x "$M" start >/dev/null 2>&1
recovered_both() { hook_has /alert recovered && hook_has /config-hook recovered; }
expect "the bot is back: one recovery alert per channel" wait_for 40 recovered_both
sleep 7
ck "after recovery: nothing more posted (alert $(hooks /alert), config $(hooks /config-hook))" '[ "$(hooks /alert)" = 2 ] && [ "$(hooks /config-hook)" = 2 ]'
x cat /srv/hooks.log | cut -c1-300 | sed 's/^/    /'

# --- exit 10 (halt), on an instance: kalshi-bot@halt -------------------------------------------------
# A day's loss past risk.max_daily_loss_dollars: the instance runs once (kill switch on: no orders,
# the day's starting equity recorded) against its own exchange, which then comes back with $100 less
# for the key (as a bad fill would leave it). The next start finds the loss and halts: exit 10.
say "== exit 10 (halt) on instance kalshi-bot@halt ($(elapsed))"
HALT_BASE="http://127.0.0.1:18082/trade-api/v2"
halt_sim() { # halt_sim BALANCE
  x systemd-run --quiet --unit=kb-sim-halt --collect /opt/kalshi-bot/kalshi-bot sim --port 18082 --seed 6 --tier prime \
    --api-key-id "$KEY_ID" --public-key /srv/kb/bot.pub --balance "$1" >/dev/null
  wait_for 20 x curl -fsS -o /dev/null "$HALT_BASE/series"
}
halt_sim 1000
out=$(x "$M" --instance halt install --key /srv/kb/bot.key 2>&1); rc=$?
ck "manage.sh --instance halt install: exit 0, config and key of the instance" '[ "$rc" -eq 0 ] && x test -f /etc/kalshi-bot/halt.json -a -f /etc/kalshi-bot/halt.key' || printf '%s\n' "$out" | tail -10
write_config true /etc/kalshi-bot/halt.json /var/lib/kalshi-bot-halt "$HALT_BASE"
out=$(x "$M" --instance halt once --kill-switch 2>&1); rc=$?
ck "manage.sh --instance halt once --kill-switch: exit 0" '[ "$rc" -eq 0 ]' || printf '%s\n' "$out" | tail -10
x systemctl stop kb-sim-halt.service
halt_sim 900
out=$(x "$M" --instance halt start 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/    /' | tail -6
ck "manage.sh --instance halt start refused with the bot's halt reason (exit $rc)" '[ "$rc" -ne 0 ] && grep -q "daily loss" <<<"$out"'
sleep 4
expect "exit 10 (halt): not restarted ($(prop kalshi-bot@halt.service ActiveState), status $(prop kalshi-bot@halt.service ExecMainStatus), NRestarts $(prop kalshi-bot@halt.service NRestarts))" \
  not_restarted 10 kalshi-bot@halt.service
expect "exit 10: the alert unit posted why" wait_for 20 hook_has /alert "kalshi-bot@halt.service failed.*10.*daily loss"
out=$(x "$M" --instance halt disable 2>&1); rc=$?
ck "manage.sh --instance halt disable: exit 0, its timers stopped" '[ "$rc" -eq 0 ] && [ "$(prop kalshi-bot-watchdog@halt.timer ActiveState)" = inactive ]'

# --- manage.sh stop ---------------------------------------------------------------------------------
say "== manage.sh stop ($(elapsed))"
wait_for 45 resting_some
out=$(x "$M" stop 2>&1); rc=$?
n=$(resting)
ck "manage.sh stop: exit 0, unit inactive" '[ "$rc" -eq 0 ] && [ "$(prop kalshi-bot.service ActiveState)" = inactive ]'
expect "manage.sh stop: 0 of the bot's orders rest on the exchange (found $n)" [ "$n" = 0 ]
expect "manage.sh stop: heartbeat stopped (is $(hb_field status))" hb_status_is stopped
eo=$(hb_exit_orders)
ck "manage.sh stop: the heartbeat says how many orders it cancelled and could not (exit_orders: $eo)" 'grep -qE "^cancel [1-9][0-9]* 0$" <<<"$eo"'
show_journal kalshi-bot.service 3

prios=$(x journalctl -u kalshi-bot.service _TRANSPORT=stdout -o export --no-pager | sed -n 's/^PRIORITY=//p' | sort -u | tr '\n' ' ')
ck "the bot's journal lines carry their own syslog priorities: info and error (PRIORITY= $prios)" 'grep -q 6 <<<"$prios" && grep -q 3 <<<"$prios"'

say "$pass passed, ${#failed[@]} failed ($(elapsed))"
if [ "${#failed[@]}" -gt 0 ]; then
  for f in "${failed[@]}"; do say "  failed: $f"; done
  exit 1
fi
