#!/usr/bin/env bash
# Install (or update, or uninstall) kalshi-bot on a VPS: idempotent, safe to run again at any time.
#
#   sudo scripts/install.sh                       install/update from dist/kalshi-bot (or ./kalshi-bot)
#   sudo scripts/install.sh --key ~/kalshi.pem    also install the private key (root:root 0600)
#   sudo scripts/install.sh --instance demo       add an instance for kalshi-bot@demo.service
#   sudo scripts/install.sh --cron                daily backup from cron instead of the systemd timer
#   sudo scripts/install.sh --uninstall           remove program and units; keep config, key, data, user
#   scripts/install.sh --prefix /tmp/root         install into a staging root (DESTDIR=... works too)
#
# What it does (paths under the root, "/" by default):
#   system user and group kalshi-bot (no login, home /var/lib/kalshi-bot)
#   /opt/kalshi-bot/kalshi-bot            the binary (0755 root); also kalshi-bot-alert, manage.sh,
#                                          restore_db.sh, README.md; /usr/local/bin/kalshi-bot -> binary
#   /etc/kalshi-bot/                      0750 root:kalshi-bot
#     advanced_config.json                0640 root:kalshi-bot, from deploy/config, only if absent
#     advanced_config.json.example        the current template, refreshed on every run
#     kalshi.key                          0600 root:root (read by systemd's LoadCredential only; manual
#                                          runs go through manage.sh verify/once, which use it the same way)
#   /var/lib/kalshi-bot/                  0700 kalshi-bot: data/ backups/ reports/ logs/ (all 0700)
#   /etc/systemd/system/                  kalshi-bot*.service, *.timer (0644)
#   /etc/systemd/journald.conf.d/kalshi-bot.conf, /etc/logrotate.d/kalshi-bot
# Nothing is started or enabled: see deploy/README.md (or `manage.sh start`).
set -euo pipefail

die() { echo "install.sh: error: $*" >&2; exit 1; }
note() { echo "install.sh: $*"; }

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  cat <<'EOF'
Options:
  --binary PATH     binary to install (default: dist/kalshi-bot, else ./kalshi-bot next to scripts/)
  --key PATH        install this PEM private key as /etc/kalshi-bot/kalshi.key (or NAME.key with --instance)
  --instance NAME   also set up instance NAME: /etc/kalshi-bot/NAME.json, /var/lib/kalshi-bot-NAME
  --user NAME       run the bot as NAME instead of kalshi-bot (units are rewritten accordingly)
  --cron            install deploy/cron/kalshi-bot into /etc/cron.d (instead of the backup timer)
  --prefix DIR      install into DIR instead of / (same as DESTDIR=DIR); no user creation, no daemon-reload
  --uninstall       remove the program, units and drop-ins; config, key, data and user are kept
  -h, --help        this help
EOF
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)

binary=""
key=""
instance=""
user_name="kalshi-bot"
want_cron=0
uninstall=0
root="${DESTDIR:-}"

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) [ $# -ge 2 ] || die "--binary needs a path"; binary=$2; shift 2 ;;
    --binary=*) binary=${1#*=}; shift ;;
    --key) [ $# -ge 2 ] || die "--key needs a path"; key=$2; shift 2 ;;
    --key=*) key=${1#*=}; shift ;;
    --instance) [ $# -ge 2 ] || die "--instance needs a name"; instance=$2; shift 2 ;;
    --instance=*) instance=${1#*=}; shift ;;
    --user) [ $# -ge 2 ] || die "--user needs a name"; user_name=$2; shift 2 ;;
    --user=*) user_name=${1#*=}; shift ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; root=$2; shift 2 ;;
    --prefix=*) root=${1#*=}; shift ;;
    --cron) want_cron=1; shift ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

if [ -n "$instance" ] && ! [[ "$instance" =~ ^[A-Za-z0-9_-]{1,64}$ ]]; then
  die "instance name '$instance' must be 1-64 letters, digits, '-' or '_'"
fi
[[ "$user_name" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "user name '$user_name' is not a valid system user name"

# Normalise the root: "" or "/" means the live system.
root=${root%/}
if [ -n "$root" ]; then
  mkdir -p "$root"
  root=$(cd "$root" && pwd)
  [ "$root" = "/" ] && root=""
fi
live=0
[ -z "$root" ] && live=1
is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1

if [ "$live" -eq 1 ] && [ "$is_root" -eq 0 ]; then
  die "installing onto this system needs root: run 'sudo $0 $*' (or use --prefix DIR to stage into a folder)"
fi

systemd_running=0
[ "$live" -eq 1 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 && systemd_running=1

OPT="$root/opt/kalshi-bot"
ETC="$root/etc/kalshi-bot"
STATE="$root/var/lib/kalshi-bot"
UNITS="$root/etc/systemd/system"
JOURNALD="$root/etc/systemd/journald.conf.d"
LOGROTATE="$root/etc/logrotate.d"
CRON="$root/etc/cron.d"
BIN_LINK="$root/usr/local/bin/kalshi-bot"

# --- ownership -----------------------------------------------------------------------------------
group_name=""
can_chown=0
iown=()
resolve_owner() {
  if [ "$is_root" -eq 0 ]; then
    note "not running as root: skipping user creation and chown (files keep your ownership; modes are still set)"
    return
  fi
  if ! id -u "$user_name" >/dev/null 2>&1; then
    if [ "$live" -eq 1 ]; then
      command -v useradd >/dev/null 2>&1 || die "useradd not found: create the system user '$user_name' by hand, then run again"
      useradd --system --user-group --home-dir /var/lib/kalshi-bot --no-create-home \
        --shell /usr/sbin/nologin --comment "kalshi-bot trading bot" "$user_name"
      note "created system user $user_name"
    else
      note "user '$user_name' does not exist on this machine: skipping chown in the staging root (it is created on a live install)"
      return
    fi
  fi
  group_name=$(id -gn "$user_name")
  can_chown=1
  iown=(-o root -g root)
}

# own OWNER:GROUP-spec PATH... ; spec "bot" = user:group, "rootgrp" = root:group, "root" = root:root
own() {
  local spec=$1; shift
  [ "$can_chown" -eq 1 ] || return 0
  case "$spec" in
    bot) chown "$user_name:$group_name" "$@" ;;
    rootgrp) chown "root:$group_name" "$@" ;;
    root) chown root:root "$@" ;;
  esac
}

# put MODE SRC DEST: atomic copy (temp file beside DEST, then rename), owned by root when we can chown
put() {
  local tmp="$3.install-tmp.$$"
  install -m "$1" "${iown[@]}" -- "$2" "$tmp"
  mv -f -- "$tmp" "$3"
}
# put_all MODE DIR FILE...: copy several files into DIR (not atomic per file; used for data files)
put_all() {
  local m=$1 d=$2; shift 2
  mkdir -p "$d"
  install -m "$m" "${iown[@]}" -t "$d" -- "$@"
}

# Units and config snippets name the kalshi-bot user; --user rewrites them.
render() {
  if [ "$user_name" = "kalshi-bot" ]; then
    cat "$1"
  else
    sed -e "s/^User=kalshi-bot\$/User=$user_name/" -e "s/^Group=kalshi-bot\$/Group=${group_name:-$user_name}/" \
      -e "s/^\(0 2 \* \* \* \)kalshi-bot /\1$user_name /" -e "s/^    su kalshi-bot kalshi-bot\$/    su $user_name ${group_name:-$user_name}/" "$1"
  fi
}

# instance_config NAME: the production template with its paths moved to /var/lib/kalshi-bot-NAME
instance_config() {
  sed -e "s#/var/lib/kalshi-bot/#/var/lib/kalshi-bot-$1/#g" "$src/deploy/config/advanced_config.json"
}

unit_files() {
  find "$src/deploy/systemd" -maxdepth 1 -type f \( -name '*.service' -o -name '*.timer' \) -printf '%f\n' | sort
}

# --- uninstall ----------------------------------------------------------------------------------
if [ "$uninstall" -eq 1 ]; then
  if [ "$systemd_running" -eq 1 ]; then
    mapfile -t active < <(systemctl list-units --all --plain --no-legend 'kalshi-bot*' 2>/dev/null | awk '{print $1}')
    if [ "${#active[@]}" -gt 0 ]; then
      systemctl disable --now "${active[@]}" >/dev/null 2>&1 || true
    fi
    systemctl disable kalshi-bot.service kalshi-bot-watchdog.timer kalshi-bot-backup.timer >/dev/null 2>&1 || true
  fi
  while read -r u; do rm -f "$UNITS/$u"; done < <(unit_files)
  rm -f "$JOURNALD/kalshi-bot.conf" "$LOGROTATE/kalshi-bot" "$CRON/kalshi-bot"
  if [ -L "$BIN_LINK" ]; then rm -f "$BIN_LINK"; fi
  rm -rf "$OPT"
  if [ "$systemd_running" -eq 1 ]; then
    systemctl daemon-reload
    systemctl reset-failed 'kalshi-bot*' >/dev/null 2>&1 || true
  fi
  note "uninstalled program and units."
  note "kept: $ETC (config, keys), $STATE and $root/var/lib/kalshi-bot-* (database, backups, heartbeat), user $user_name."
  note "to delete those too (irreversible): sudo rm -rf /etc/kalshi-bot /var/lib/kalshi-bot /var/lib/kalshi-bot-* && sudo userdel $user_name"
  exit 0
fi

# --- binary -------------------------------------------------------------------------------------
if [ -z "$binary" ]; then
  for c in "$src/dist/kalshi-bot" "$src/kalshi-bot"; do
    if [ -f "$c" ]; then binary=$c; break; fi
  done
  [ -n "$binary" ] || die "no binary found: build it first (node_modules/.bin/bun scripts/build.ts, or scripts/release.sh) or pass --binary PATH"
fi
[ -f "$binary" ] || die "binary '$binary' not found"
[ -x "$binary" ] || die "binary '$binary' is not executable (chmod +x it)"
if ! version=$("$binary" --version 2>/dev/null); then
  die "'$binary --version' failed: wrong architecture or a broken download? (check its sha256 against the release)"
fi
[ -f "$src/deploy/config/advanced_config.json" ] || die "deploy/ not found next to scripts/: run install.sh from a checkout or release folder"

resolve_owner

# --- program ------------------------------------------------------------------------------------
mkdir -p "$OPT"
chmod 0755 "$OPT"
own root "$OPT"
put 0755 "$binary" "$OPT/kalshi-bot"
# /opt/kalshi-bot/scripts/install.sh and manage.sh find their data in /opt/kalshi-bot/deploy (updates and
# instances can be run from /opt/kalshi-bot alone). When run from there, src is $OPT: nothing to copy.
if [ "$src" != "$OPT" ]; then
  mapfile -t units_src < <(unit_files | sed "s#^#$src/deploy/systemd/#")
  put_all 0755 "$OPT" "$src/scripts/restore_db.sh" "$src/deploy/systemd/manage.sh"
  put_all 0644 "$OPT" "$src/deploy/README.md"
  put_all 0755 "$OPT/scripts" "$src/scripts/install.sh" "$src/scripts/restore_db.sh"
  put_all 0644 "$OPT/deploy" "$src/deploy/README.md"
  put_all 0644 "$OPT/deploy/config" "$src/deploy/config/advanced_config.json"
  put_all 0644 "$OPT/deploy/journald" "$src/deploy/journald/kalshi-bot.conf"
  put_all 0644 "$OPT/deploy/logrotate" "$src/deploy/logrotate/kalshi-bot"
  put_all 0644 "$OPT/deploy/cron" "$src/deploy/cron/kalshi-bot"
  put_all 0644 "$OPT/deploy/systemd" "${units_src[@]}"
  put_all 0755 "$OPT/deploy/systemd" "$src/deploy/systemd/manage.sh" "$src/deploy/systemd/kalshi-bot-alert.sh"
fi
put 0755 "$src/deploy/systemd/kalshi-bot-alert.sh" "$OPT/kalshi-bot-alert"
chmod -R go-w "$OPT"
mkdir -p "$(dirname "$BIN_LINK")"
ln -sfn /opt/kalshi-bot/kalshi-bot "$BIN_LINK"
note "installed kalshi-bot $version to $OPT"

# --- config and key -----------------------------------------------------------------------------
mkdir -p "$ETC"
chmod 0750 "$ETC"
own rootgrp "$ETC"
install_config() { # install_config DEST (render from stdin) : only when absent
  local dest=$1 tmp
  if [ -e "$dest" ]; then
    note "kept existing $dest"
    cat >/dev/null
    return
  fi
  tmp=$(mktemp "$ETC/.install.XXXXXX")
  cat >"$tmp"
  chmod 0640 "$tmp"
  own rootgrp "$tmp"
  mv -f "$tmp" "$dest"
  note "wrote config template $dest (dry_run=true; edit it, then follow the live checklist in README.md)"
}
install_config "$ETC/advanced_config.json" <"$src/deploy/config/advanced_config.json"
put 0640 "$src/deploy/config/advanced_config.json" "$ETC/advanced_config.json.example"
own rootgrp "$ETC/advanced_config.json.example"

key_dest="$ETC/kalshi.key"
[ -n "$instance" ] && key_dest="$ETC/$instance.key"
if [ -n "$key" ]; then
  [ -f "$key" ] || die "key file '$key' not found"
  grep -q 'PRIVATE KEY-----' "$key" || die "'$key' does not look like a PEM private key"
  put 0600 "$key" "$key_dest"
  note "installed private key as $key_dest (0600 root: systemd hands it to the service through LoadCredential; to run the bot by hand with it, use manage.sh verify/once, see deploy/README.md 'Running the bot's commands by hand')"
fi
for k in "$ETC"/*.key; do
  [ -f "$k" ] || continue
  chmod 0600 "$k"
  own root "$k"
done
if [ ! -f "$key_dest" ]; then
  note "no private key at ${key_dest#"$root"} yet: copy yours there (sudo install -m 0600 -o root -g root YOUR.pem ${key_dest#"$root"}) or rerun with --key"
fi

# --- state --------------------------------------------------------------------------------------
make_state() { # make_state DIR
  local d
  for d in "$1" "$1/data" "$1/backups" "$1/reports" "$1/logs"; do
    mkdir -p "$d"
    chmod 0700 "$d"
    own bot "$d"
  done
}
make_state "$STATE"
if [ -n "$instance" ]; then
  make_state "$root/var/lib/kalshi-bot-$instance"
  instance_config "$instance" | install_config "$ETC/$instance.json"
fi

# --- units and log retention ----------------------------------------------------------------------
mkdir -p "$UNITS" "$JOURNALD" "$LOGROTATE"
staged=$(mktemp -d)
trap 'rm -rf "$staged"' EXIT
while read -r u; do render "$src/deploy/systemd/$u" >"$staged/$u"; done < <(unit_files)
put_all 0644 "$UNITS" "$staged"/*
put 0644 "$src/deploy/journald/kalshi-bot.conf" "$JOURNALD/kalshi-bot.conf"
render "$src/deploy/logrotate/kalshi-bot" >"$staged/logrotate"
put 0644 "$staged/logrotate" "$LOGROTATE/kalshi-bot"
if [ "$want_cron" -eq 1 ]; then
  mkdir -p "$CRON"
  render "$src/deploy/cron/kalshi-bot" >"$staged/cron"
  put 0644 "$staged/cron" "$CRON/kalshi-bot"
  note "installed /etc/cron.d/kalshi-bot (daily backup at 02:00); do not also enable kalshi-bot-backup.timer"
fi
note "installed systemd units to ${UNITS#"$root"}"

if [ "$systemd_running" -eq 1 ]; then
  systemctl daemon-reload
  note "systemctl daemon-reload done. Journald limits apply after: sudo systemctl restart systemd-journald"
  if systemctl is-active --quiet kalshi-bot.service; then
    note "kalshi-bot.service is running the previous binary: restart it with 'sudo /opt/kalshi-bot/manage.sh restart'"
  fi
elif [ "$live" -eq 1 ]; then
  note "systemd is not running here (no /run/systemd/system): skipped daemon-reload; use deploy/cron/kalshi-bot and run the binary by hand"
else
  note "staging root $root: skipped daemon-reload"
fi

unit="kalshi-bot"
[ -n "$instance" ] && unit="kalshi-bot@$instance"
cat <<EOF
install.sh: done. Next steps (deploy/README.md has the full live checklist):
  1. edit ${ETC#"$root"}/${instance:-advanced_config}.json (exchange, scope; dry_run stays true for now)
  2. put the key at ${key_dest#"$root"} (0600 root) if not done
  3. sudo /opt/kalshi-bot/manage.sh ${instance:+--instance $instance }verify
  4. sudo /opt/kalshi-bot/manage.sh ${instance:+--instance $instance }once
  5. sudo /opt/kalshi-bot/manage.sh ${instance:+--instance $instance }start      (starts $unit plus its watchdog and backup timers)
EOF
