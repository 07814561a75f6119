#!/usr/bin/env bash
# scripts/install-deps.sh - install what building and testing lakestream needs, and only what is missing.
# Idempotent and fast when everything is there (no apt-get update then). Runs as root on Debian 12; as
# another user it only reports what is missing. Then makes sure tests/interop/node_modules matches
# tests/interop/package-lock.json (npm ci). Prints one line saying what it did.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential clang pkg-config libzstd-dev libsnappy-dev zlib1g-dev liblz4-dev libbrotli-dev
      libroaring-dev libcurl4-openssl-dev libssl-dev libmicrohttpd-dev librdkafka-dev libxxhash-dev
      libclang-rt-14-dev nodejs npm ca-certificates)

# One dpkg-query for all packages (unknown ones print nothing, hence || true).
have=" $(dpkg-query -W -f='${Package}=${db:Status-Status} ' "${PKGS[@]}" 2>/dev/null || true)"
installed() { [[ $have == *" $1=installed "* ]]; }

missing=()
for p in "${PKGS[@]}"; do
  case $p in
    # Node.js may come from another source than Debian (e.g. a nodejs build that bundles npm and
    # conflicts with Debian's npm package): working commands are enough.
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  installed "$p" || missing+=("$p")
done

did=()
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing Debian packages (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  did+=("installed ${missing[*]}")
fi

# Node packages of the interop tests: npm ci when node_modules is missing or older than the lock file
# (npm ci writes node_modules/.package-lock.json, so its mtime tells when the last install ran).
IDIR=tests/interop
if [ -f "$IDIR/package-lock.json" ]; then
  stamp="$IDIR/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$IDIR/package-lock.json" -nt "$stamp" ] || [ "$IDIR/package.json" -nt "$stamp" ]; then
    if ! (cd "$IDIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
      echo "install-deps: npm ci failed in $IDIR" >&2
      exit 1
    fi
    touch "$stamp"
    did+=("npm ci in $IDIR")
  fi
fi

if [ ${#did[@]} -eq 0 ]; then
  echo "deps: all present"
else
  msg=$(printf '%s; ' "${did[@]}")
  echo "deps: ${msg%; }"
fi
