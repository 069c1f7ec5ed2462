#!/bin/sh
# Installs the Debian packages callproof needs to build, run and test.
# Idempotent and fast when everything is present: it asks dpkg first and only runs
# `apt-get update` + `apt-get install` for what is missing. Run as root (or with sudo).
#
#   scripts/deps.sh          build + run dependencies
#   scripts/deps.sh test     ... plus what `make test` needs (its short fuzzing pass too)
#   scripts/deps.sh fuzz     ... plus what `make fuzz` needs (clang with libFuzzer)
#   scripts/deps.sh bench    build + run dependencies plus what `make bench` needs: wrk, nginx,
#                            postgresql
#                            (the light flavour, unless an nginx is installed), perf, curl, python3
set -eu

pkgs="gcc make pkg-config libmicrohttpd-dev libcjson-dev libsqlite3-dev libsodium-dev libpq-dev tzdata"
if [ "${1:-}" = "test" ]; then
    # postgresql: make test runs the store contract and the black-box suite on a throwaway
    # cluster too (scripts/pg_cluster.sh).
    pkgs="$pkgs libcmocka-dev curl sqlite3 chromium postgresql"
    command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
fi
# libFuzzer and the sanitizer runtimes are in libclang-rt-14-dev, which Debian 12's clang-14
# does not depend on.
if [ "${1:-}" = "test" ] || [ "${1:-}" = "fuzz" ]; then
    pkgs="$pkgs clang libclang-rt-14-dev"
fi
if [ "${1:-}" = "bench" ]; then
    pkgs="$pkgs wrk curl python3 linux-perf postgresql"
    # Any of Debian's nginx flavours will do; the bench runs it with its own config file.
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || pkgs="$pkgs nginx-light"
fi

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps: need root to install:$missing" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
