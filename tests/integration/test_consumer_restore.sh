#!/usr/bin/env bash
# Stream consumers through pg_dump -Fc / pg_restore into clusters whose
# transaction ids mean something else. The source is a private cluster whose
# transaction counter is far ahead (epoch 3, made with pg_resetwal); one copy
# is restored into the shared test cluster (epoch 0: its new transaction ids
# are below every id the dumped snapshots speak of, so by those snapshots
# every new record would look consumed), another into a private cluster at
# epoch 7 (ids above all of them). At dump time one consumer has committed
# part of a batch and read ahead past it, with a writer's transaction still
# in progress in its batch's snapshot (committed before the dump); one has
# read nothing (trim_horizon); one started at latest after some records; one
# has read everything. In every copy each consumer then reads exactly the
# records the source still owes it (what the source itself hands out), then
# every record written after the restore, each once.
. "$(dirname "$0")/common_lib.sh"
bindir=${PG_BINDIR:?}
inst_bin=${PULSE_TEST_STATE:?}/inst$bindir
clusters=()
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_clusters() {
  for d in "${clusters[@]}"; do as_owner "$inst_bin/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1; done
  dropdb --if-exists pulse_it_consumer_restore >/dev/null 2>&1
  cleanup
}
trap stop_clusters EXIT
[ "$(id -u)" = 0 ] && chmod 755 "$work"

# private_cluster NAME EPOCH: a cluster from the test install tree whose
# transaction ids start at EPOCH << 32; prints its socket directory.
private_cluster() {
  local dir=$work/$1 epoch=$2
  mkdir -p "$dir/sock"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir" "$dir/sock"
  as_owner "$inst_bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  as_owner "$bindir/pg_resetwal" -e "$epoch" -D "$dir/data" >/dev/null || return 1
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir/sock'
fsync = off
timezone = 'UTC'
CONF
  as_owner "$inst_bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start >/dev/null || { cat "$dir/log" >&2; return 1; }
  clusters+=("$dir/data")
  echo "$dir/sock"
}

src_sock=$(private_cluster src 3) || fail "source cluster"
ahead_sock=$(private_cluster ahead 7) || fail "epoch-7 cluster"
shared_sock=$PGHOST
db=pulse_it_consumer_restore
S() { PGHOST=$src_sock PGDATABASE=$db psql -X -Atq -v ON_ERROR_STOP=1 "$@"; }
PGHOST=$src_sock createdb $db || fail "createdb in the source"
S -c "SET client_min_messages = warning; CREATE EXTENSION pulse" >/dev/null || fail "extension in the source"
[ "$(S -c "SELECT pg_current_xact_id()::text::bigint >> 32")" = 3 ] || fail "the source's transaction ids are not at epoch 3"
S -c "SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 hour', now() + interval '1 day')" >/dev/null
put() {  # HOST ID... (one transaction)
  local host=$1; shift
  PGHOST=$host PGDATABASE=$db psql -X -q -v ON_ERROR_STOP=1 -c "INSERT INTO pulse.landing (stream, format, batch_id, seq, payload)
    SELECT 'rs', 'json', 1, i, jsonb_build_object('id', i) FROM unnest('{$(IFS=,; echo "$*")}'::int[]) i" || fail "insert $*"
}
# drain HOST CONSUMER: reads (3 at a time) and commits until nothing is
# left, in one session; prints the ids in delivery order.
drain() {
  PGHOST=$1 PGDATABASE=$db psql -X -Atq -v ON_ERROR_STOP=1 <<SQL || fail "draining $2 on $1"
CREATE TEMP TABLE got (n bigserial, seq bigint, id int);
DO \$\$
DECLARE k int;
BEGIN
  LOOP
    INSERT INTO got (seq, id) SELECT r.seq, (r.payload->>'id')::int FROM pulse.read('$2', 3) WITH ORDINALITY r ORDER BY r.ordinality;
    GET DIAGNOSTICS k = ROW_COUNT;
    EXIT WHEN k = 0;
    PERFORM pulse.commit('$2', (SELECT seq FROM got ORDER BY n DESC LIMIT 1));
  END LOOP;
END \$\$;
SELECT id FROM got ORDER BY n;
SQL
}

# --- the source: consumers at every kind of position
S -c "SELECT pulse.create_consumer('c_part', 'rs', 'trim_horizon'), pulse.create_consumer('c_none', 'rs', 'trim_horizon')" >/dev/null
put "$src_sock" 1 2 3 4 5
S -c "SELECT pulse.create_consumer('c_latest', 'rs'), pulse.create_consumer('c_all', 'rs', 'trim_horizon')" >/dev/null
# a writer whose transaction is in progress when c_part cuts its batch
PGHOST=$src_sock PGDATABASE=$db psql -X -q -v ON_ERROR_STOP=1 >"$work/w.out" 2>&1 <<'SQL' &
BEGIN;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES ('rs', 'json', 2, 1, '{"id": 6}'), ('rs', 'json', 2, 2, '{"id": 7}');
SELECT pg_sleep(3);
COMMIT;
SQL
wpid=$!
for _ in $(seq 100); do
  [ "$(S -c "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(3);'")" = 1 ] && break
  sleep 0.05
done
[ "$(S -c "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(3);'")" = 1 ] || fail "the slow writer did not start"
put "$src_sock" 8 9
# c_part: reads 1, 2, 3 and commits 3, then reads 4, 5 ahead (not committed)
part=$(S <<'SQL'
CREATE TEMP TABLE got (n bigserial, seq bigint, id int);
INSERT INTO got (seq, id) SELECT r.seq, (r.payload->>'id')::int FROM pulse.read('c_part', 3) WITH ORDINALITY r ORDER BY r.ordinality;
SELECT pulse.commit('c_part', (SELECT seq FROM got ORDER BY n DESC LIMIT 1));
INSERT INTO got (seq, id) SELECT r.seq, (r.payload->>'id')::int FROM pulse.read('c_part', 2) WITH ORDINALITY r ORDER BY r.ordinality;
SELECT string_agg(id::text, ',' ORDER BY n) FROM got;
SQL
) || fail "c_part reading"
[ "$(echo "$part" | tail -1)" = "1,2,3,4,5" ] || fail "c_part read $part"
[ "$(S -c "SELECT count(*) FROM pulse_internal.consumers, pg_snapshot_xip(snaps[2]) WHERE name = 'c_part'")" -ge 1 ] \
  || fail "c_part's batch was cut with no transaction in progress"
[ "$(drain "$src_sock" c_all | paste -sd,)" = "1,2,3,4,5,8,9" ] || fail "c_all in the source"
wait $wpid || { cat "$work/w.out"; fail "the slow writer"; }
put "$src_sock" 10
S -c "SELECT consumer || ' ' || lag_records FROM pulse.consumers ORDER BY 1" >"$work/lag.src"
"$bindir/pg_dump" -Fc -h "$src_sock" -d $db -f "$work/c.dump" || fail "pg_dump"
# what the source still owes each consumer
for c in c_part c_none c_latest c_all; do drain "$src_sock" $c | sort -n | paste -sd, >"$work/owed.$c"; done
[ "$(cat "$work/owed.c_part")" = "4,5,6,7,8,9,10" ] || fail "the source owes c_part $(cat "$work/owed.c_part")"
[ "$(cat "$work/owed.c_none")" = "1,2,3,4,5,6,7,8,9,10" ] || fail "the source owes c_none $(cat "$work/owed.c_none")"
[ "$(cat "$work/owed.c_latest")" = "6,7,8,9,10" ] || fail "the source owes c_latest $(cat "$work/owed.c_latest")"
[ "$(cat "$work/owed.c_all")" = "6,7,10" ] || fail "the source owes c_all $(cat "$work/owed.c_all")"

# --- every copy owes the same, then reads what is written after the restore
check_copy() {  # HOST NAME
  local host=$1 name=$2
  PGHOST=$host dropdb --if-exists $db >/dev/null 2>&1
  PGHOST=$host createdb $db || fail "createdb ($name)"
  "$bindir/pg_restore" -h "$host" -d $db "$work/c.dump" >"$work/restore.$name" 2>&1 \
    || { head "$work/restore.$name"; fail "pg_restore ($name)"; }
  local new_epoch old_max
  new_epoch=$(PGHOST=$host PGDATABASE=$db psql -X -Atq -c "SELECT pg_current_xact_id()::text::bigint >> 32")
  old_max=$(PGHOST=$host PGDATABASE=$db psql -X -Atq -c "SELECT max(txid)::text::bigint >> 32 FROM pulse.landing")
  echo "$name: restored records from epoch $old_max into a cluster at epoch $new_epoch"
  PGHOST=$host PGDATABASE=$db psql -X -Atq -c "SELECT consumer || ' ' || lag_records FROM pulse.consumers ORDER BY 1" >"$work/lag.$name"
  diff "$work/lag.src" "$work/lag.$name" >/dev/null || { diff "$work/lag.src" "$work/lag.$name"; fail "lag after the restore ($name)"; }
  PGHOST=$host PGDATABASE=$db psql -X -q -c "SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 hour', now() + interval '1 day')" >/dev/null
  for c in c_part c_none c_latest c_all; do
    got=$(drain "$host" $c | paste -sd,)
    [ "$(echo "$got" | tr , '\n' | sort -n | paste -sd,)" = "$(cat "$work/owed.$c")" ] \
      || fail "$name: $c read $got after the restore, the source owed $(cat "$work/owed.$c")"
  done
  put "$host" 101 102
  put "$host" 103
  for c in c_part c_none c_latest c_all; do
    got=$(drain "$host" $c | sort -n | paste -sd,)
    [ "$got" = "101,102,103" ] || fail "$name: $c read $got of the records written after the restore, not 101,102,103"
  done
  [ "$(PGHOST=$host PGDATABASE=$db psql -X -Atq -c "SELECT sum(lag_records) FROM pulse.consumers")" = 0 ] || fail "$name: lag left"
  PGHOST=$host dropdb $db
}
check_copy "$shared_sock" "shared cluster (behind)"
check_copy "$ahead_sock" "epoch-7 cluster (ahead)"
echo "ok: consumers restored into clusters behind and ahead of the source's transaction ids read exactly what the source owed them, then every new record, each once"
