#!/usr/bin/env bash
# Build the release: dist/kalshi-bot (one self-contained binary) and a tarball with everything a VPS
# needs (binary, deploy/, install.sh, restore_db.sh), then print their sha256 (also in dist/SHA256SUMS).
#
#   scripts/release.sh            build, package, print checksums
#   scripts/release.sh --no-build package the existing dist/kalshi-bot
#
# On the VPS:  sha256sum -c SHA256SUMS && tar xzf kalshi-bot-*.tar.gz && sudo kalshi-bot-*/scripts/install.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=1
case "${1:-}" in
  "") ;;
  --no-build) build=0 ;;
  -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "release.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
esac

bun=node_modules/.bin/bun
if [ "$build" -eq 1 ]; then
  [ -x "$bun" ] || { echo "release.sh: $bun not found: run npm ci first" >&2; exit 1; }
  "$bun" scripts/build.ts
fi
[ -x dist/kalshi-bot ] || { echo "release.sh: dist/kalshi-bot missing: run without --no-build" >&2; exit 1; }

version=$(dist/kalshi-bot --version)
arch=$(uname -m)
name="kalshi-bot-$version-linux-$arch"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/scripts"
cp dist/kalshi-bot "$stage/$name/kalshi-bot"
cp -R deploy "$stage/$name/deploy"
cp scripts/install.sh scripts/restore_db.sh "$stage/$name/scripts/"
chmod 0755 "$stage/$name/kalshi-bot" "$stage/$name/scripts/"*.sh "$stage/$name/deploy/systemd/"*.sh
# Reproducible-ish archive: fixed owner and sorted names.
tar --sort=name --owner=0 --group=0 --numeric-owner -C "$stage" -czf "dist/$name.tar.gz" "$name"

(cd dist && sha256sum kalshi-bot "$name.tar.gz" >SHA256SUMS)
echo "kalshi-bot $version ($arch)"
cat dist/SHA256SUMS
