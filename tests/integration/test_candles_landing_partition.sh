#!/usr/bin/env bash
# A server without the maintenance worker or pg_cron eventually has no
# pulse.landing partition for "now". The loader then creates the current
# landing partitions itself (as pulse_writer may) and the load goes on.
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

# Load as a pulse_writer member, the loader's intended role.
psql -X -q -c "DROP ROLE IF EXISTS pulse_it_lp_loader; CREATE ROLE pulse_it_lp_loader LOGIN IN ROLE pulse_writer" >/dev/null
PGUSER=pulse_it_lp_loader "$bin" candles --exchange upbit --market KRW-BTC --file "$fixture" --quiet 2>"$work/err"
rc=$?
psql -X -q -c "DROP OWNED BY pulse_it_lp_loader; DROP ROLE pulse_it_lp_loader" >/dev/null 2>&1
[ "$rc" = 0 ] || { cat "$work/err"; fail "load exited $rc"; }
grep -q "created the current landing partitions" "$work/err" || { cat "$work/err"; fail "the loader did not say it created landing partitions"; }
[ "$(q "SELECT count(*) FROM pulse.candles WHERE market = 'KRW-BTC'")" = 200 ] || fail "candles not loaded"
[ "$(q "SELECT count(*) FROM pulse.landing")" = 200 ] || fail "landing rows missing"
[ "$(q "SELECT count(*) FROM pulse.partitions WHERE parent = 'pulse.landing'::regclass AND range @> now()")" = 1 ] \
  || fail "no landing partition for now after the load"
echo "ok: the loader created the missing landing partition and loaded 200 candles"
