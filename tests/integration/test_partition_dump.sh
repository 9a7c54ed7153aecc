#!/usr/bin/env bash
# pg_dump + restore of a database that uses pulse partitioning: user
# registrations (pulse_internal.managed_tables is an extension config table) and the
# rows of every partition, built-in or not, survive. Partitions are not
# extension members, so pg_dump writes them with their data; on restore,
# CREATE EXTENSION has already made the current built-in partitions, so the
# dump's copies of those fail with "already exists" and their rows go into
# the existing ones.
set -euo pipefail
bindir=${PG_BINDIR:?}
src=pulse_it_dump_src
dst=pulse_it_dump_dst
work=$(mktemp -d)
trap 'rm -rf "$work"; psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" >/dev/null 2>&1 || true' EXIT
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

q -d postgres -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" -c "CREATE DATABASE $src" -c "CREATE DATABASE $dst"
q -d "$src" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pulse;
CREATE TABLE readings (ts timestamptz NOT NULL, sensor int NOT NULL, v numeric) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('readings', 'ts', '1 day', premake => 2, retain => '30 days', cluster_by => '{sensor}');
SELECT pulse.ensure_partitions('readings', now() - interval '3 days', now());
INSERT INTO readings SELECT now() - interval '3 days' + g * interval '1 hour', g % 5, g / 10.0 FROM generate_series(0, 71) g;
SELECT pulse.ensure_partitions('pulse.tweets', now() - interval '2 days', now());
INSERT INTO pulse.tweets (id, created_at, text) VALUES (1, now(), 'today'), (2, now() - interval '2 days', 'older');
SELECT * FROM pulse.run_maintenance();
SQL
summary="SELECT (SELECT count(*) || ' ' || sum(v) || ' ' || count(DISTINCT tableoid) FROM readings),
                (SELECT string_agg(id || ':' || text, ',' ORDER BY id) FROM pulse.tweets),
                (SELECT string_agg(format('%s %s %s %s %s %s', parent, time_column, every, premake, retain, cluster_by), ';')
                   FROM pulse_internal.managed_tables WHERE NOT builtin)"
before=$(q -d "$src" -c "$summary")

"$bindir/pg_dump" -d "$src" -f "$work/dump.sql"
psql -X -q -d "$dst" -f "$work/dump.sql" >"$work/restore.out" 2>"$work/restore.err" || true
after=$(q -d "$dst" -c "$summary")

unexpected=$(grep 'ERROR:' "$work/restore.err" | grep -vE 'already exists|is already a partition|multiple primary keys' || true)
if [ -n "$unexpected" ]; then
  echo "FAIL: unexpected restore errors:"; echo "$unexpected"; exit 1
fi
if [ "$before" != "$after" ]; then
  echo "FAIL: data or registrations differ after restore"
  echo "before: $before"; echo "after:  $after"; exit 1
fi
case "$before" in
  "72 "*"4|1:today,2:older|readings ts 1 day 2 30 days {sensor}") ;;
  *) echo "FAIL: unexpected source state: $before"; exit 1 ;;
esac
# maintenance works on the restored copy
q -d "$dst" -c "SELECT count(*) FROM pulse.run_maintenance() WHERE note LIKE 'error%'" | grep -qx 0 \
  || { echo "FAIL: maintenance failed after restore"; exit 1; }
echo "ok: restored $(grep -c 'ERROR:' "$work/restore.err" || true) expected duplicate-partition errors; $after"
