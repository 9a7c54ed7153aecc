#!/usr/bin/env bash
# Installing Pulse as the README's "Add Pulse to your PostgreSQL" does:
#  1. `DESTDIR=STAGE cmake --install BUILD --prefix /usr` puts pulse-load,
#     the systemd units, the sysusers.d entry, the docs and examples under
#     STAGE/usr and the extension under STAGE + pg_config's directories, and
#     nothing test-only; without --prefix the configured prefix is used.
#  2. The installed pulse-load runs against the test cluster.
#  3. The staged extension works in a server: a second throwaway cluster made
#     from the server's own files plus the staged ones, with
#     shared_preload_libraries = 'pulse', CREATE EXTENSION, a login role in
#     pulse_writer that loads with the installed pulse-load and one in
#     pulse_reader that reads.
#  4. The units pass `systemd-analyze verify` (no systemd needed as PID 1)
#     and `systemd-analyze security --offline` at most 2.0, installed with
#     --prefix so that the binaries they start exist.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/candles_lib.sh"
build=${PULSE_BUILD_DIR:?}
want=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$src/pulse.control")
pg_bindir=$(pg_config --bindir)
pkglibdir=$(pg_config --pkglibdir)
sharedir=$(pg_config --sharedir)
fixture=$src/tests/fixtures/upbit/upbit_1m_20200220_170000-20200220_202000.json  # 200 candles
srv=""
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_server() {
  [ -n "$srv" ] && [ -f "$srv/data/postmaster.pid" ] && as_owner "$srv/inst$pg_bindir/pg_ctl" -D "$srv/data" -m fast -w stop >/dev/null 2>&1
  [ -n "$srv" ] && rm -rf "$srv"
  cleanup
}
trap stop_server EXIT

# --- 1. DESTDIR staging
stage=$work/stage
DESTDIR=$stage cmake --install "$build" --prefix /usr >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "cmake --install"; }
for f in usr/bin/pulse-load usr/lib/systemd/system/pulse-load@.service usr/lib/sysusers.d/pulse.conf \
         usr/share/doc/pulse/README.md usr/share/doc/pulse/LICENSE.vader.txt \
         usr/share/doc/pulse/examples/upbit-krw-btc.conf usr/share/doc/pulse/examples/x-stream.conf \
         usr/share/doc/pulse/examples/gateway.env usr/share/doc/pulse/examples/sql/lead_lag.sql \
         "${pkglibdir#/}/pulse.so" "${sharedir#/}/extension/pulse.control" "${sharedir#/}/extension/pulse--$want.sql" \
         "${sharedir#/}/extension/pulse--0.1.0.sql" "${sharedir#/}/extension/pulse--0.1.0--$want.sql"; do
  [ -f "$stage/$f" ] || fail "not installed: $f (staged: $(cd "$stage" && find . -type f | sort | tr '\n' ' '))"
done
[ -x "$stage/usr/bin/pulse-load" ] || fail "pulse-load is not executable"
found=$(find "$stage" -name 'pulse_test*')
[ -z "$found" ] || fail "the test-only pulse_test extension was installed: $found"
unit=$stage/usr/lib/systemd/system/pulse-load@.service
grep -qx 'ExecStart=/usr/bin/pulse-load --config /etc/pulse/%i.conf' "$unit" || fail "ExecStart: $(grep ExecStart "$unit")"
grep -q '@[A-Z_]*@' "$unit" && fail "unsubstituted @VARIABLES@ in the unit: $(grep '@[A-Z_]*@' "$unit")"
if [ -x "$build/pulse-gateway" ]; then
  [ -x "$stage/usr/bin/pulse-gateway" ] && [ -f "$stage/usr/lib/systemd/system/pulse-gateway.service" ] \
    || fail "pulse-gateway is built but it or its unit was not installed"
else
  [ ! -e "$stage/usr/lib/systemd/system/pulse-gateway.service" ] || fail "the gateway's unit was installed without the gateway"
fi
cmp -s "$stage/usr/bin/pulse-load" "$build/pulse-load" || fail "the installed pulse-load is not the build's"
cmp -s "$stage/$pkglibdir/pulse.so" "${PULSE_EXT_DIR:-$src}/pulse.so" || fail "the installed pulse.so is not the build's"
# Without --prefix: the configured prefix (CMAKE_INSTALL_PREFIX); the
# extension still goes where pg_config says.
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
DESTDIR=$work/stage2 cmake --install "$build" >"$work/install2.log" 2>&1 || { cat "$work/install2.log"; fail "cmake --install (configured prefix)"; }
[ -x "$work/stage2$prefix/bin/pulse-load" ] || fail "not under the configured prefix $prefix"
grep -q "^ExecStart=$prefix/bin/pulse-load " "$work/stage2$prefix/lib/systemd/system/pulse-load@.service" || fail "unit ExecStart for $prefix"
[ -f "$work/stage2$pkglibdir/pulse.so" ] || fail "extension not under DESTDIR + pg_config --pkglibdir"
echo "ok: DESTDIR install: programs, units, sysusers, docs, extension, nothing test-only"

# --- 2. the installed binary against the test cluster
"$stage/usr/bin/pulse-load" --version | head -1 | grep -qx "pulse-load $want" || fail "installed --version"
new_db pulse_it_install
"$stage/usr/bin/pulse-load" candles --exchange upbit --market KRW-BTC --file "$fixture" 2>"$work/err" \
  || fail "installed pulse-load exit $?: $(cat "$work/err")"
[ "$(q "SELECT count(*) FROM pulse.candles")" = 200 ] || fail "installed pulse-load loaded $(q "SELECT count(*) FROM pulse.candles")"
echo "ok: the installed pulse-load loads into the test cluster"

# --- 3. the staged extension in a server of its own
srv=$(mktemp -d /tmp/pulse-inst-XXXXXX)
chmod 755 "$srv"
inst=$srv/inst
mkdir -p "$inst$pg_bindir" "$inst$pkglibdir" "$(dirname "$inst$sharedir")" "$srv/sock" "$srv/data"
for exe in postgres initdb pg_ctl; do cp "$pg_bindir/$exe" "$inst$pg_bindir/"; done
for f in "$pkglibdir"/*; do ln -s "$f" "$inst$pkglibdir/"; done
cp -r "$sharedir" "$inst$sharedir"
rm -f "$inst$pkglibdir"/pulse*.so "$inst$sharedir"/extension/pulse*
cp "$stage$pkglibdir/pulse.so" "$inst$pkglibdir/"
cp "$stage$sharedir"/extension/pulse* "$inst$sharedir/extension/"
# The sanitizer build's pulse.so needs the server started with its runtimes.
"$src/tests/sanitized_server.sh" wrap "$inst$pg_bindir"
[ "$(id -u)" = 0 ] && chown postgres: "$srv/sock" "$srv/data"
as_owner "$inst$pg_bindir/initdb" -D "$srv/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync \
  >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log"; fail "initdb"; }
cat >>"$srv/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$srv/sock'
fsync = off
shared_preload_libraries = 'pulse'
CONF
as_owner "$inst$pg_bindir/pg_ctl" -D "$srv/data" -l "$srv/data/log" -w -t 60 start >/dev/null || fail "start: $(tail -5 "$srv/data/log")"
(
  export PGHOST=$srv/sock PGPORT=5432 PGUSER=postgres PGDATABASE=pulse
  createdb pulse || fail "createdb pulse"
  q "CREATE EXTENSION pulse" >/dev/null || fail "CREATE EXTENSION pulse from the staged files"
  [ "$(q "SELECT extversion FROM pg_extension WHERE extname = 'pulse'")" = "$want" ] || fail "extension version"
  q "CREATE ROLE loader LOGIN; GRANT pulse_writer TO loader; CREATE ROLE grafana LOGIN; GRANT pulse_reader TO grafana" >/dev/null
  "$stage/usr/bin/pulse-load" candles --exchange upbit --market KRW-BTC --file "$fixture" --db "dbname=pulse user=loader" \
    2>"$work/err3" || fail "the installed loader as pulse_writer: exit $?: $(cat "$work/err3")"
  [ "$(psql -X -Atq -U grafana -c "SELECT count(*) FROM pulse.candles")" = 200 ] || fail "pulse_reader reads the candles"
  # shared_preload_libraries = 'pulse' starts the maintenance worker's launcher
  for _ in $(seq 50); do
    [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pulse maintenance launcher'")" = 1 ] && break
    sleep 0.1
  done
  [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pulse maintenance launcher'")" = 1 ] \
    || fail "no maintenance launcher with shared_preload_libraries = 'pulse'"
) || exit 1
grep -E "terminated by signal|PANIC" "$srv/data/log" && fail "the staged server crashed"
"$src/tests/sanitized_server.sh" check "$srv/data/log" || fail "sanitizer report from the staged server"
echo "ok: the staged extension: preload, CREATE EXTENSION, writer loads with the installed loader, reader reads"

# --- 4. systemd-analyze verify and security, on units that start binaries that exist
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (Debian package systemd; scripts/deps.sh installs it)"
p=$work/prefix
cmake --install "$build" --prefix "$p" --component loaders >"$work/install3.log" 2>&1 || { cat "$work/install3.log"; fail "--component loaders"; }
[ -e "$p/lib/postgresql" ] && fail "--component loaders installed the extension"
units=("$p/lib/systemd/system/pulse-load@.service")
# The gateway's unit: installed with its binary; until that is built, its
# template is checked against a stand-in executable of that name.
if [ -f "$p/lib/systemd/system/pulse-gateway.service" ]; then
  units+=("$p/lib/systemd/system/pulse-gateway.service")
else
  mkdir -p "$work/standin/bin" "$work/standin/units"
  printf '#!/bin/sh\nexit 0\n' >"$work/standin/bin/pulse-gateway"; chmod 755 "$work/standin/bin/pulse-gateway"
  sed -e "s|@PULSE_BINDIR@|$work/standin/bin|g" -e "s|@PULSE_CONFIG_DIR@|/etc/pulse|g" \
      -e "s|@PULSE_DOCDIR@|$p/share/doc/pulse|g" -e "s|@PULSE_SYSUSERS_FILE@|$p/lib/sysusers.d/pulse.conf|g" \
      "$src/packaging/systemd/pulse-gateway.service.in" >"$work/standin/units/pulse-gateway.service"
  units+=("$work/standin/units/pulse-gateway.service")
fi
grep -q "^ExecStart=$p/bin/pulse-load --config /etc/pulse/%i.conf$" "${units[0]}" || fail "--prefix at install time: $(grep ExecStart "${units[0]}")"
verify() {  # UNIT_FILE INSTANCE: no output and exit 0
  local dir name out
  dir=$(dirname "$1"); name=$2
  out=$(cd "$dir" && systemd-analyze verify "./$name" 2>&1); local rc=$?
  [ $rc = 0 ] && [ -z "$out" ] || { echo "$out"; return 1; }
}
for u in "${units[@]}"; do
  name=$(basename "$u")
  [[ "$name" == *@.service ]] && name=${name/@.service/@example.service}
  # (verify finds a template instance's file, NAME@.service, next to it)
  verify "$u" "$name" || fail "systemd-analyze verify $name"
  out=$(cd "$(dirname "$u")" && systemd-analyze security --offline=true --threshold=20 "./$name" 2>&1) \
    || fail "systemd-analyze security $name above 2.0: $(tail -1 <<<"$out")"
  grep -q "Overall exposure level for $name" <<<"$out" || fail "no security verdict for $name: $(tail -2 <<<"$out")"
done
# The check is not blind: an unknown key, a binary that does not exist.
bad=$work/bad; mkdir -p "$bad"
sed 's/^NoNewPrivileges=yes/NoNewPrivilege=yes/' "${units[0]}" >"$bad/pulse-load@.service"
verify "$bad/pulse-load@.service" pulse-load@x.service >/dev/null && fail "verify missed an unknown key"
sed "s|^ExecStart=$p/bin/|ExecStart=$p/nonexistent/|" "${units[0]}" >"$bad/pulse-load@.service"
verify "$bad/pulse-load@.service" pulse-load@x.service >/dev/null && fail "verify missed a missing binary"
sed 's/^NoNewPrivileges=yes/NoNewPrivileges=no/; /^ProtectSystem=/d; /^CapabilityBoundingSet=/d; /^SystemCallFilter=/d' "${units[0]}" \
  >"$bad/pulse-load@.service"
(cd "$bad" && systemd-analyze security --offline=true --threshold=20 ./pulse-load@x.service >/dev/null 2>&1) \
  && fail "security missed a unit without hardening"
echo "ok: systemd-analyze verify and security --offline on ${#units[@]} units"
