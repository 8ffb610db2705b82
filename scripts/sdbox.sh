#!/usr/bin/env bash
# Vendored copy of the project's shared tools/sdbox/sdbox.sh (so a fresh clone's CI can boot the box),
# used by scripts/systemd-e2e.sh. Changes from the original: shellcheck directives only.
# sdbox.sh — boot a real systemd (as PID 1 of a systemd-nspawn container) to
# test a service's unit files for real: start/stop, Type=notify, WatchdogSec=,
# Restart=, timers, journald, sandboxing (systemd-analyze security).
#
# Usage:
#   sdbox.sh create            build the Debian rootfs (idempotent: reuses it)
#   sdbox.sh boot              boot it in the background, wait until systemd is up
#   sdbox.sh exec CMD [ARG..]  run CMD inside (systemctl, journalctl, sh -c ...)
#   sdbox.sh cp SRC DEST       copy a file or directory into the container
#                              (into the live container when booted, else into
#                              the rootfs); DEST ending in / or naming an existing
#                              directory means "into that directory"
#   sdbox.sh stop              clean poweroff (SIGTERM, then SIGKILL, as fallback)
#   sdbox.sh status            running? + `systemctl is-system-running`
#   sdbox.sh console           print the container's console log (boot messages)
#   sdbox.sh destroy           delete the rootfs (container must be stopped)
#
# Requirements:
#   * root with CAP_SYS_ADMIN (a privileged container or VM is fine); PID 1 of
#     the host does NOT need to be systemd (nspawn runs with --register=no
#     --keep-unit, so neither machined nor a host D-Bus is used).
#   * packages systemd-container (systemd-nspawn) and debootstrap; `create`
#     installs them with apt-get if missing, pinning systemd-container to the
#     host's systemd version so the host's systemd is not upgraded.
#   * the Debian mirror the host's apt is configured with (read from
#     /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list; override with
#     SDBOX_MIRROR). Nothing else from the network.
#   * ~205 MB disk for the rootfs (+40 MB .deb cache); create ~65 s cold,
#     ~40 s with the .deb cache; boot <1 s; stop ~1.5 s (2 CPUs).
#
# What it does to the host (read before using on a shared machine):
#   * The container has its own PID, mount, UTS, IPC, cgroup and network
#     namespaces (--private-network: loopback only), so the container's systemd
#     cannot see or signal host processes or reconfigure host networking.
#     /proc/sys and the cgroup-v1 controller hierarchies are read-only inside.
#   * systemd-nspawn itself creates two cgroups, <caller's cgroup>/payload and
#     <caller's cgroup>/supervisor, in the name=systemd (v1) and unified (v2)
#     hierarchies, and leaves them (empty) after stop. This script never writes
#     to the cgroup tree itself.
#   * Two nspawn --keep-unit containers started from the SAME cgroup share that
#     "payload" cgroup, i.e. two systemd instances would manage one cgroup tree
#     (they can signal/wait on each other's units). `boot` therefore refuses to
#     start while <cgroup>/payload is populated (override: SDBOX_FORCE=1 — don't).
#   * Container processes stay in the caller's memory cgroup (not moved).
#   * Leaves /run/systemd/nspawn/{locks,propagate}/ on the host (empty dirs).
#
# Limits seen on a host with the hybrid cgroup layout (v1 controllers + an
# empty cgroup2 at /sys/fs/cgroup/unified, as on the development VMs this was
# written on): the container's systemd gets no cgroup controllers, so
# MemoryMax=, CPUQuota=, TasksMax=, IO*= are accepted but NOT enforced.
# Everything else tested works: Type=notify, WatchdogSec=, Restart=, timers,
# journald, DynamicUser=, StateDirectory=, ProtectSystem= and the other
# namespace/seccomp sandboxing options, systemd-analyze security/verify.
#
# Typical test run:
#   sdbox.sh create && SDBOX_EPHEMERAL=1 sdbox.sh boot
#   sdbox.sh cp ./mysvc /usr/local/bin/ && sdbox.sh cp ./mysvc.service /etc/systemd/system/
#   sdbox.sh exec systemctl daemon-reload && sdbox.sh exec systemctl start mysvc
#   sdbox.sh exec journalctl -u mysvc --no-pager;  sdbox.sh stop
# (exec passes stdin/stdout and the exit status through; PIDs it prints or
#  takes are the container's own, e.g. `sdbox.sh exec kill -9 <MainPID>`.)
#
# Environment knobs:
#   SDBOX_DIR (/var/tmp/sdbox)   where rootfs/, cache/ and run/ live
#   SDBOX_NAME (sdbox)           machine name / hostname
#   SDBOX_SUITE (host's codename, e.g. bookworm)
#   SDBOX_MIRROR (from apt config)
#   SDBOX_EXTRA_PKGS             extra comma-separated Debian packages for `create`
#                                (only for a fresh rootfs: `destroy` first)
#   SDBOX_EPHEMERAL=1            boot with --volatile=overlay: all changes made
#                                while running live in a tmpfs and vanish on stop
#                                (the rootfs stays pristine between test runs;
#                                `cp` while stopped still writes into the rootfs)
#   SDBOX_NSPAWN_ARGS            extra systemd-nspawn args, e.g. "--bind-ro=/src:/src"
#   SDBOX_BOOT_TIMEOUT (90)  SDBOX_STOP_TIMEOUT (60)   seconds
#
# Every verb except exec/status/console prints its wall time to stderr
# ("sdbox: <verb> took N.NNs"); exec does too when SDBOX_TIMES=1.

set -euo pipefail

SDBOX_DIR=${SDBOX_DIR:-/var/tmp/sdbox}
ROOTFS=$SDBOX_DIR/rootfs
CACHE=$SDBOX_DIR/cache
RUNDIR=$SDBOX_DIR/run
NAME=${SDBOX_NAME:-sdbox}
BOOT_TIMEOUT=${SDBOX_BOOT_TIMEOUT:-90}
STOP_TIMEOUT=${SDBOX_STOP_TIMEOUT:-60}
IN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
PKGS=systemd,systemd-sysv,dbus,procps${SDBOX_EXTRA_PKGS:+,$SDBOX_EXTRA_PKGS}
# Units that make no sense in a test container (network/apt/disk maintenance, ttys).
MASK_UNITS="apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service
fstrim.timer getty@tty1.service console-getty.service systemd-pstore.service"

die() { echo "sdbox: $*" >&2; exit 1; }
log() { echo "sdbox: $*" >&2; }
now() { date +%s.%N; }
T0=$(now)
took() { log "$1 took $(awk -v a="$T0" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}')s"; }

[ "$(id -u)" = 0 ] || die "must run as root"

# ---------------------------------------------------------------- helpers

host_mirror() {
    if [ -n "${SDBOX_MIRROR:-}" ]; then echo "$SDBOX_MIRROR"; return; fi
    local f u
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # first URIs: line that is not the security archive
        u=$(awk 'tolower($1)=="uris:" {for(i=2;i<=NF;i++) if ($i !~ /security/) {print $i; exit}}' "$f")
        [ -n "$u" ] && { echo "${u%/}"; return; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        u=$(awk '$1=="deb" { for(i=2;i<=NF;i++) if ($i ~ /^(https?|file):/) { if ($i !~ /security/) {print $i; exit} else break } }' "$f")
        [ -n "$u" ] && { echo "${u%/}"; return; }
    done
    die "no Debian mirror found in apt config; set SDBOX_MIRROR"
}

host_suite() {
    if [ -n "${SDBOX_SUITE:-}" ]; then echo "$SDBOX_SUITE"; return; fi
    # shellcheck disable=SC1091
    (. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
}

ensure_tools() {
    local need=()
    command -v systemd-nspawn >/dev/null || need+=(systemd-container)
    command -v debootstrap >/dev/null || need+=(debootstrap)
    command -v nsenter >/dev/null || need+=(util-linux)
    [ ${#need[@]} -eq 0 ] && return 0
    log "installing ${need[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    local pinned=() p v
    v=$(dpkg-query -W -f='${Version}' systemd 2>/dev/null || true)
    for p in "${need[@]}"; do
        if [ "$p" = systemd-container ] && [ -n "$v" ]; then pinned+=("$p=$v"); else pinned+=("$p"); fi
    done
    # Pinned first (keeps the host's systemd packages untouched); unpinned as fallback.
    apt-get install -y -qq --no-install-recommends "${pinned[@]}" >/dev/null \
        || apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# PID of our systemd-nspawn, verified through its command line (guards against PID reuse).
nspawn_pid() {
    local pid
    pid=$(cat "$RUNDIR/nspawn.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qx -- "$ROOTFS" || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -1 | grep -q 'systemd-nspawn$' || return 1
    echo "$pid"
}

# Host PID of the container's PID 1 (a child of nspawn whose innermost PID is 1).
leader_pid() {
    local np c
    np=$(nspawn_pid) || return 1
    for c in $(ps -o pid= --ppid "$np" 2>/dev/null); do
        if awk '$1=="NSpid:" && $NF==1 {found=1} END{exit !found}' "/proc/$c/status" 2>/dev/null; then
            echo "$c"; return 0
        fi
    done
    return 1
}

# Run a command inside all of the container's namespaces, with a clean environment.
in_ct() {
    local l
    l=$(leader_pid) || die "container is not running (use: $0 boot)"
    nsenter --target "$l" --all --root --wd -- \
        env -i PATH="$IN_PATH" HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
        SYSTEMD_PAGER=cat SYSTEMD_COLORS="${SYSTEMD_COLORS:-0}" "$@"
}

# Is the "payload" cgroup that nspawn --keep-unit would use already populated
# (i.e. another nspawn container was started from this same cgroup)?
payload_busy() {
    local cg2 v1 f
    cg2=$(awk -F: '$1=="0" {print $3}' /proc/self/cgroup)
    v1=$(awk -F: '$2=="name=systemd" {print $3}' /proc/self/cgroup)
    cg2=${cg2%/}; v1=${v1%/}
    for f in "/sys/fs/cgroup/unified$cg2/payload/cgroup.events" "/sys/fs/cgroup$cg2/payload/cgroup.events"; do
        [ -r "$f" ] && grep -qx 'populated 1' "$f" && return 0
    done
    if [ -d "/sys/fs/cgroup/systemd$v1/payload" ]; then
        find "/sys/fs/cgroup/systemd$v1/payload" -name cgroup.procs -exec cat {} + 2>/dev/null | grep -q . && return 0
    fi
    return 1
}

unmount_under() {   # unmount anything left mounted below $1 (e.g. after a failed debootstrap)
    local m
    findmnt -rno TARGET | awk -v p="$1" 'index($0, p"/")==1' | sort -r | while read -r m; do
        umount -l "$m" || true
    done
}

# ---------------------------------------------------------------- verbs

cmd_create() {
    ensure_tools
    if [ -f "$ROOTFS/.sdbox-ready" ]; then
        log "reusing $ROOTFS ($(du -sh --one-file-system "$ROOTFS" | cut -f1))"
        return 0
    fi
    local mirror suite tmp="$SDBOX_DIR/rootfs.tmp"
    mirror=$(host_mirror); suite=$(host_suite)
    mkdir -p "$CACHE" "$RUNDIR"
    if [ -e "$tmp" ]; then unmount_under "$tmp"; rm -rf --one-file-system "$tmp"; fi
    log "debootstrap --variant=minbase $suite from $mirror (+$PKGS)"
    debootstrap --variant=minbase --include="$PKGS" --cache-dir="$CACHE" \
        "$suite" "$tmp" "$mirror" >"$SDBOX_DIR/debootstrap.log" 2>&1 \
        || { unmount_under "$tmp"; tail -20 "$SDBOX_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $SDBOX_DIR/debootstrap.log)"; }
    unmount_under "$tmp"
    local u
    for u in $MASK_UNITS; do
        ln -sfn /dev/null "$tmp/etc/systemd/system/$u"
        find "$tmp/etc/systemd/system" -path "*.wants/$u" -type l -delete
    done
    echo "$NAME" >"$tmp/etc/hostname"
    rm -f "$tmp/var/cache/apt/archives/"*.deb
    touch "$tmp/.sdbox-ready"
    if [ -e "$ROOTFS" ]; then unmount_under "$ROOTFS"; rm -rf --one-file-system "$ROOTFS"; fi
    mv "$tmp" "$ROOTFS"
    log "rootfs ready: $ROOTFS ($(du -sh --one-file-system "$ROOTFS" | cut -f1))"
}

cmd_boot() {
    [ -f "$ROOTFS/.sdbox-ready" ] || die "no rootfs; run: $0 create"
    command -v systemd-nspawn >/dev/null || die "systemd-nspawn missing; run: $0 create"
    if nspawn_pid >/dev/null; then log "already running"; cmd_status; return 0; fi
    if payload_busy && [ "${SDBOX_FORCE:-0}" != 1 ]; then
        # shellcheck disable=SC2009  # the arguments are shown, pgrep -a would need procps on the host
        ps -eo pid,args | grep '[s]ystemd-nspawn' >&2 || true
        die "another nspawn container runs from this cgroup (its <cgroup>/payload is populated);
       booting now would make two systemd instances share one cgroup tree. Stop it first."
    fi
    mkdir -p "$RUNDIR"
    local args=(-D "$ROOTFS" --boot --register=no --keep-unit --private-network
                --console=read-only -M "$NAME")
    [ "${SDBOX_EPHEMERAL:-0}" = 1 ] && args+=(--volatile=overlay)
    # shellcheck disable=SC2206
    [ -n "${SDBOX_NSPAWN_ARGS:-}" ] && args+=($SDBOX_NSPAWN_ARGS)
    setsid systemd-nspawn "${args[@]}" </dev/null >"$RUNDIR/console.log" 2>&1 &
    echo $! >"$RUNDIR/nspawn.pid"
    local deadline=$(( $(date +%s) + BOOT_TIMEOUT )) state=""
    while [ "$(date +%s)" -lt "$deadline" ]; do
        if ! nspawn_pid >/dev/null; then
            tail -30 "$RUNDIR/console.log" >&2
            die "systemd-nspawn exited during boot (console log: $RUNDIR/console.log)"
        fi
        if leader_pid >/dev/null; then
            state=$(in_ct systemctl is-system-running 2>/dev/null || true)
            case "$state" in running|degraded) break ;; esac
        fi
        sleep 0.2
    done
    case "$state" in
        running) log "booted ($NAME, leader PID $(leader_pid)): $state" ;;
        degraded) log "booted but degraded:"; in_ct systemctl --failed --no-legend >&2 || true ;;
        *) die "boot did not finish within ${BOOT_TIMEOUT}s (state: ${state:-none}); see $RUNDIR/console.log, or $0 stop" ;;
    esac
}

cmd_exec() {
    [ $# -gt 0 ] || die "usage: $0 exec CMD [ARGS...]"
    in_ct "$@"
}

cmd_cp() {
    [ $# -eq 2 ] || die "usage: $0 cp SRC DEST"
    local src=$1 dest=$2
    [ -e "$src" ] || die "no such file: $src"
    case "$dest" in /*) ;; *) die "DEST must be an absolute path inside the container" ;; esac
    local runner
    if leader_pid >/dev/null; then
        runner=(nsenter --target "$(leader_pid)" --mount --root --wd --)
    else
        [ -f "$ROOTFS/.sdbox-ready" ] || die "no rootfs; run: $0 create"
        runner=(chroot "$ROOTFS")   # chroot: absolute symlinks in DEST resolve inside the rootfs
    fi
    local base; base=$(basename "$src")
    if [ -d "$src" ]; then   # like cp -r: into DEST/ if DEST is a directory (or ends in /), else as DEST
        # shellcheck disable=SC2016  # expanded by the inner sh, from its arguments
        tar -C "$src" -cf - . | "${runner[@]}" /bin/sh -ec '
            d=$1; b=$2
            case "$d" in */) d="$d$b" ;; *) [ -d "$d" ] && d="$d/$b" ;; esac
            mkdir -p "$d"; tar -C "$d" --no-same-owner -xf -' sh "$dest" "$base"
    else
        local mode; mode=$(stat -Lc %a "$src")
        # shellcheck disable=SC2016  # expanded by the inner sh, from its arguments
        "${runner[@]}" /bin/sh -ec '
            d=$1; b=$2; m=$3
            case "$d" in */) d="$d$b" ;; *) [ -d "$d" ] && d="$d/$b" ;; esac
            mkdir -p "$(dirname "$d")"
            cat >"$d.sdbox-tmp"; chmod "$m" "$d.sdbox-tmp"; mv -f "$d.sdbox-tmp" "$d"' \
            sh "$dest" "$base" "$mode" <"$src"
    fi
}

cmd_stop() {
    local np
    np=$(nspawn_pid) || {
        log "not running"; rm -f "$RUNDIR/nspawn.pid"
        rmdir "/run/systemd/nspawn/propagate/$NAME" 2>/dev/null || true
        return 0; }
    in_ct systemctl poweroff --no-block >/dev/null 2>&1 \
        || { log "systemctl poweroff failed; sending SIGTERM to systemd-nspawn ($np)"; kill -TERM "$np" 2>/dev/null || true; }
    local deadline=$(( $(date +%s) + STOP_TIMEOUT ))
    while kill -0 "$np" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
    if kill -0 "$np" 2>/dev/null; then
        log "still running after ${STOP_TIMEOUT}s; SIGTERM to systemd-nspawn ($np)"
        kill -TERM "$np" 2>/dev/null || true
        deadline=$(( $(date +%s) + 15 ))
        while kill -0 "$np" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
    fi
    if kill -0 "$np" 2>/dev/null; then
        local l; l=$(leader_pid || true)
        log "still running; SIGKILL to container PID 1 (${l:-?}) and systemd-nspawn ($np)"
        if [ -n "$l" ]; then kill -KILL "$l" 2>/dev/null || true; fi   # kills the whole PID namespace
        kill -KILL "$np" 2>/dev/null || true
        sleep 1
    fi
    rm -f "$RUNDIR/nspawn.pid"
    rmdir "/run/systemd/nspawn/propagate/$NAME" 2>/dev/null || true
    log "stopped"
}

cmd_status() {
    local np l
    if np=$(nspawn_pid); then
        l=$(leader_pid || echo '?')
        echo "running: nspawn PID $np, container PID 1 = host PID $l, system state: $(in_ct systemctl is-system-running 2>/dev/null || true)"
    else
        echo "stopped"; return 3
    fi
}

cmd_destroy() {
    nspawn_pid >/dev/null && die "container is running; stop it first"
    unmount_under "$ROOTFS"
    rm -rf --one-file-system "$ROOTFS" "$SDBOX_DIR/rootfs.tmp"
    log "removed $ROOTFS (the .deb cache $CACHE is kept)"
}

verb=${1:-}; [ $# -gt 0 ] && shift
case "$verb" in
    create)  cmd_create "$@"; took create ;;
    boot)    cmd_boot "$@"; took boot ;;
    exec)    rc=0; cmd_exec "$@" || rc=$?; [ -n "${SDBOX_TIMES:-}" ] && took exec; exit $rc ;;
    cp)      cmd_cp "$@"; took cp ;;
    stop)    cmd_stop "$@"; took stop ;;
    status)  cmd_status ;;
    console) cat "$RUNDIR/console.log" ;;
    destroy) cmd_destroy ;;
    *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
