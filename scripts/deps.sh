#!/usr/bin/env bash
# Installs the Debian 12 packages Pulse needs, only those missing. Sourced by
# scripts/test and scripts/demo; works as root or through sudo; safe to rerun.
# Only the test command needs these (the dashboard's browser test; fonts
# because chromium only recommends them and screenshots need text: Liberation
# for Latin, Noto CJK for the Korean hashtags and texts, Noto Color Emoji for
# the emoji in tweets, all named in the dashboard's CSS font stack; systemd
# for systemd-analyze, which checks the units in packaging/systemd/ and works
# without systemd running as PID 1; python3-psycopg2 for the psycopg2 baseline
# of bench/tweets_bench.sh, run by Debian's /usr/bin/python3).
# gdb: a loader that hangs in a test has its threads' backtraces printed (wait_loader)
PULSE_TEST_PKGS=(chromium fonts-liberation fonts-noto-cjk fonts-noto-color-emoji systemd python3-psycopg2 gdb)
# The Citus suite builds Citus from ../shared/vendor/citus (when present) and
# needs these headers for it (Kerberos: the server headers include gssapi.h;
# lz4 and zstd: Citus's columnar compression).
PULSE_CITUS_PKGS=(libkrb5-dev liblz4-dev libzstd-dev)

pulse_install_deps() {
  local pkgs=(
    postgresql-15 postgresql-server-dev-15 libpq-dev
    libcurl4-openssl-dev libjansson-dev libmicrohttpd-dev nettle-dev zlib1g-dev libsimdjson-dev
    g++ make cmake pkg-config
    libgtest-dev libgmock-dev libbenchmark-dev libgmp-dev
    python3 curl openssl
    python3-psycopg2   # bench/candles_bench.sh's psycopg2 baseline
    "$@"
  )
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; return 1; }
    sudo="sudo"
  fi
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
