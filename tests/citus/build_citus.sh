#!/usr/bin/env bash
# Builds Citus (a separate AGPL-3.0 program, used only as a server extension
# loaded into the throwaway test clusters) from the vendored source tarball,
# once per tarball and server version, into a staging directory:
#   tests/citus/build_citus.sh VENDOR_DIR CACHE_DIR [STAGE_FILE]
# prints the staging directory (and writes it to STAGE_FILE) (files under it mirror the server's own
# directories, as `make install DESTDIR=` lays them out). The cache key is the
# tarball's and the patch's sha256 plus `pg_config --version`, so the second
# (sanitizer) test pass and reruns reuse the build; a lock lets two build
# trees share one cache. Nothing is installed into the system.
set -euo pipefail

vendor=${1:?vendor dir}
cache=${2:?cache dir}
stage_file=${3:-/dev/null}
pg_config=${PG_CONFIG:-pg_config}

tarball=$(ls "$vendor"/citus-*-src.tar.gz | head -n 1)
patches=$(ls "$vendor"/*.patch 2>/dev/null | sort || true)
key=$( { sha256sum "$tarball" | cut -d' ' -f1
         for p in $patches; do sha256sum "$p" | cut -d' ' -f1; done
         "$pg_config" --version; } | sha256sum | cut -c1-16)
dir="$cache/$key"
mkdir -p "$cache"

exec 9>"$cache/.lock"
flock 9
if [ -f "$dir/ok" ]; then
  echo "$dir/stage" | tee "$stage_file"
  exit 0
fi

rm -rf "$dir"
mkdir -p "$dir/src"
tar -xzf "$tarball" -C "$dir/src" --strip-components=1
for p in $patches; do patch -s -d "$dir/src" -p1 <"$p"; done
(
  cd "$dir/src"
  # libcurl only feeds Citus's anonymous usage statistics (off in source builds).
  ./configure --without-libcurl PG_CONFIG="$pg_config" >"$dir/configure.log" 2>&1 \
    || { tail -n 30 "$dir/configure.log" >&2; exit 1; }
  make -j"${PULSE_CITUS_JOBS:-2}" >"$dir/make.log" 2>&1 || { tail -n 30 "$dir/make.log" >&2; exit 1; }
  make install DESTDIR="$dir/stage" >"$dir/install.log" 2>&1 || { tail -n 30 "$dir/install.log" >&2; exit 1; }
)
rm -rf "$dir/src"   # about 200 MB of objects; the staged files are all the clusters need
touch "$dir/ok"
echo "$dir/stage" | tee "$stage_file"
