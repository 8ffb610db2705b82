#!/usr/bin/env bash
# Deployment checks (issue 5), called by .ci/run:
#   1. systemd-analyze verify on every unit (rc 0 and no output at all: unknown keys are only warnings)
#   2. systemd-analyze security --offline=yes --threshold=20 on the main service (exposure <= 2.0)
#   3. shellcheck on every shell script (deploy/**/*.sh, scripts/*.sh, .ci/*)
#   4. logrotate --debug parses deploy/logrotate/kalshi-bot
# Installs systemd, shellcheck and logrotate with apt-get when missing (CI runs as root on Debian).
# Works without systemd as PID 1: verify runs against a temporary root holding the units, stand-ins
# for the executables they name, and a copy of the distribution's units (sysinit.target etc.).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

failures=()
fail() { echo "deploy-checks: FAIL: $*" >&2; failures+=("$*"); }
ok() { echo "deploy-checks: ok: $*"; }

# --- tools --------------------------------------------------------------------------------------
need=()
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v logrotate >/dev/null 2>&1 || need+=(logrotate)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deploy-checks: installing ${need[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; } >/tmp/deploy-checks-apt.log 2>&1 ||
      { tail -20 /tmp/deploy-checks-apt.log >&2; fail "apt-get install ${need[*]}"; }
  else
    fail "missing ${need[*]} and cannot apt-get install (not root or no apt-get)"
  fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- 1. systemd-analyze verify ------------------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
  root="$work/root"
  mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd"
  sysunits=""
  for d in /usr/lib/systemd/system /lib/systemd/system; do
    if [ -f "$d/sysinit.target" ]; then sysunits=$d; break; fi
  done
  if [ -z "$sysunits" ]; then
    fail "no distribution unit directory with sysinit.target (is the systemd package installed?)"
  else
    cp -a "$sysunits" "$root/usr/lib/systemd/system"
  fi
  cp deploy/systemd/*.service deploy/systemd/*.timer "$root/etc/systemd/system/"
  # Every absolute executable named by an Exec*= line must exist in the root: stand-ins.
  grep -hoE '^Exec[A-Za-z]*=[-@:+!]*/[^ ]+' deploy/systemd/*.service | sed -E 's/^[^=]+=[-@:+!]*//' | sort -u |
    while read -r exe; do
      mkdir -p "$root$(dirname "$exe")"
      printf '#!/bin/sh\nexit 0\n' >"$root$exe"
      chmod 0755 "$root$exe"
    done
  for f in deploy/systemd/*.service deploy/systemd/*.timer; do
    u=$(basename "$f")
    # Templates are verified through an instance (an alert instance names a failed unit, as OnFailure= does).
    case "$u" in
      kalshi-bot-alert@.service) u="kalshi-bot-alert@kalshi-bot.service.service" ;;
      *@.*) u="${u/@./@ci.}" ;;
    esac
    out=$(systemd-analyze verify --root="$root" "$u" 2>&1)
    rc=$?
    if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
      fail "systemd-analyze verify $u (rc=$rc): $out"
    else
      ok "systemd-analyze verify $u"
    fi
  done

  # --- 2. security score --------------------------------------------------------------------------
  for f in deploy/systemd/kalshi-bot.service deploy/systemd/kalshi-bot@.service; do
    out=$(systemd-analyze security --offline=yes --threshold=20 "$f" 2>&1)
    rc=$?
    score=$(printf '%s\n' "$out" | grep -E 'Overall exposure level' | sed -E 's/.*: //')
    if [ "$rc" -ne 0 ]; then
      printf '%s\n' "$out" | grep -E '✗' >&2
      fail "systemd-analyze security $f: exposure ${score:-unknown} (must be <= 2.0)"
    else
      ok "systemd-analyze security $f: $score"
    fi
  done
fi

# --- 3. shellcheck --------------------------------------------------------------------------------
if command -v shellcheck >/dev/null 2>&1; then
  scripts=()
  while IFS= read -r -d '' f; do scripts+=("$f"); done < <(
    find deploy scripts .ci -type f \( -name '*.sh' -o -path '.ci/*' \) -print0 2>/dev/null | sort -z
  )
  # .ci/* may hold non-shell files: keep only shell scripts (by extension or shebang).
  shells=()
  for f in "${scripts[@]}"; do
    case "$f" in
      *.sh) shells+=("$f") ;;
      *) head -n1 "$f" | grep -qE '^#!.*\b(ba|da|k)?sh\b' && shells+=("$f") ;;
    esac
  done
  if out=$(shellcheck --severity=style "${shells[@]}" 2>&1); then
    ok "shellcheck ${#shells[@]} scripts: ${shells[*]}"
  else
    printf '%s\n' "$out" >&2
    fail "shellcheck"
  fi
fi

# --- 4. logrotate -------------------------------------------------------------------------------
if command -v logrotate >/dev/null 2>&1; then
  conf="$work/logrotate.conf"
  # The config's su user may not exist on the CI machine: check syntax with root instead.
  sed 's/^\( *su \).*/\1root root/' deploy/logrotate/kalshi-bot >"$conf"
  if out=$(logrotate --debug --state "$work/logrotate.state" "$conf" 2>&1) && ! printf '%s\n' "$out" | grep -qiE '^error'; then
    ok "logrotate --debug deploy/logrotate/kalshi-bot"
  else
    printf '%s\n' "$out" >&2
    fail "logrotate --debug deploy/logrotate/kalshi-bot"
  fi
fi

if [ "${#failures[@]}" -gt 0 ]; then
  echo "deploy-checks: ${#failures[@]} failure(s):" >&2
  for f in "${failures[@]}"; do echo "  - ${f%%$'\n'*}" >&2; done
  exit 1
fi
echo "deploy-checks: all passed"
