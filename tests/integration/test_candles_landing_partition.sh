#!/usr/bin/env bash
# A server without the maintenance worker or pg_cron eventually has no
# pulse.landing partition for "now" (a fresh CREATE EXTENSION makes none).
# The loader creates the current landing partitions itself (as pulse_writer
# may) when it connects, and again if a COPY finds none, and the load goes
# on.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/candles_lib.sh"
fixture="$src/tests/fixtures/upbit/upbit_1m_20200220_170000-20200220_202000.json"

new_db pulse_it_landing_partition
# Remove every landing partition that covers the next day, as if premaking
# had stopped days ago.
q "SELECT format('DROP TABLE %s', p.partition) FROM pulse.partitions p
    WHERE p.parent = 'pulse.landing'::regclass AND upper(p.range) > now() - interval '1 hour'" |
  while read -r stmt; do q "$stmt" >/dev/null || fail "$stmt"; done
[ "$(q "SELECT count(*) FROM pulse.partitions WHERE parent = 'pulse.landing'::regclass AND range @> now()")" = 0 ] \
  || fail "set-up: a landing partition for now still exists"

# Load as a pulse_writer member, the loader's intended role. It makes the
# current landing partitions when it connects; the test then drops them
# again before the first batch (as if the day had turned without premaking),
# so its COPY finds none: the loader creates them and retries.
psql -X -q -c "DROP ROLE IF EXISTS pulse_it_lp_loader; CREATE ROLE pulse_it_lp_loader LOGIN IN ROLE pulse_writer" >/dev/null
mkfifo "$work/fifo"
PGUSER=pulse_it_lp_loader "$bin" candles --exchange upbit --market KRW-BTC --file "$work/fifo" --quiet 2>"$work/err" &
pid=$!
exec 3>"$work/fifo"   # the loader reads until this end closes
for _ in $(seq 1 100); do
  [ "$(q "SELECT count(*) FROM pulse.partitions WHERE parent = 'pulse.landing'::regclass AND range @> now()")" = 1 ] && break
  sleep 0.1
done
[ "$(q "SELECT count(*) FROM pulse.partitions WHERE parent = 'pulse.landing'::regclass AND range @> now()")" = 1 ] \
  || { exec 3>&-; kill $pid; fail "the loader did not make the current landing partition when it connected"; }
q "SELECT format('DROP TABLE %s', p.partition) FROM pulse.partitions p
    WHERE p.parent = 'pulse.landing'::regclass AND upper(p.range) > now() - interval '1 hour'" |
  while read -r stmt; do q "$stmt" >/dev/null || fail "$stmt"; done
cat "$fixture" >&3
exec 3>&-
wait $pid; rc=$?
psql -X -q -c "DROP OWNED BY pulse_it_lp_loader; DROP ROLE pulse_it_lp_loader" >/dev/null 2>&1
[ "$rc" = 0 ] || { cat "$work/err"; fail "load exited $rc"; }
grep -q "created the current landing partitions" "$work/err" || { cat "$work/err"; fail "the loader did not say it created landing partitions"; }
[ "$(q "SELECT count(*) FROM pulse.candles WHERE market = 'KRW-BTC'")" = 200 ] || fail "candles not loaded"
[ "$(q "SELECT count(*) FROM pulse.landing")" = 200 ] || fail "landing rows missing"
[ "$(q "SELECT count(*) FROM pulse.partitions WHERE parent = 'pulse.landing'::regclass AND range @> now()")" = 1 ] \
  || fail "no landing partition for now after the load"
echo "ok: the loader made the landing partitions at connect, and again when they went missing mid-run; 200 candles loaded"
