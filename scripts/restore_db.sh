#!/bin/sh
# The guide's ./restore_db.sh <backup> [target_db]: kalshi-bot restore does the work (refuses while the bot holds the lock).
d=$(dirname "$0"); for b in "$d/kalshi-bot" "$d/../dist/kalshi-bot" "$(command -v kalshi-bot)" /opt/kalshi-bot/kalshi-bot; do [ -x "$b" ] && exec "$b" restore "$@"; done; echo "restore_db.sh: kalshi-bot binary not found (looked next to this script, in dist/, in PATH and /opt/kalshi-bot)" >&2; exit 5
