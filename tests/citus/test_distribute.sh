#!/usr/bin/env bash
# pulse.distribute on a 3-node Citus cluster: its refusals (bad shard count,
# a caller who does not own the tables, a database without Citus), what it
# makes of each built-in table, pulse on every node, and Pulse's partition
# management (ensure_partitions, partition_by_time's premake, retention,
# merge's backfill partitions) and pulse.merge on distributed tables.
. "$(dirname "$0")/citus_lib.sh"
fresh_pulse

# 1. Refusals, each with its SQLSTATE.
[ "$(sqlstate "SELECT pulse.distribute(0)")" = 22023 ] || fail "shard_count 0 not refused with 22023"
[ "$(sqlstate "SELECT pulse.distribute(NULL)")" = 22023 ] || fail "shard_count NULL not refused with 22023"
q "DROP ROLE IF EXISTS pulse_citus_tester; CREATE ROLE pulse_citus_tester; GRANT EXECUTE ON FUNCTION pulse.distribute(integer) TO pulse_citus_tester" \
  || fail "tester role"
[ "$(sqlstate "SET ROLE pulse_citus_tester; SELECT pulse.distribute()")" = 42501 ] || fail "a non-owner was not refused with 42501"
[ "$(sqlstate "SET ROLE pulse_writer; SELECT pulse.distribute()")" = 42501 ] || fail "pulse_writer may call distribute"
q "DROP OWNED BY pulse_citus_tester; DROP ROLE pulse_citus_tester" || fail "drop tester"
# A database without Citus (the coordinator does not carry CREATE DATABASE to the workers).
dropdb --if-exists pulse_citus_none 2>/dev/null
createdb pulse_citus_none || fail "createdb"
psql -X -q -d pulse_citus_none -c 'CREATE EXTENSION pulse' || fail "pulse without citus"
[ "$(PGDATABASE=pulse_citus_none sqlstate "SELECT pulse.distribute()")" = 55000 ] || fail "no Citus: not refused with 55000"
[ "$(PGDATABASE=pulse_citus_none q "SELECT pulse_internal.citus_table('pulse.tweets'), pulse_internal.citus_worker()")" = "f|f" ] \
  || fail "citus_table/citus_worker without Citus"
dropdb pulse_citus_none || fail "dropdb"
# On a worker.
[ "$(PGPORT=5433 sqlstate "SELECT pulse.distribute()")" = 55000 ] || fail "distribute on a worker not refused with 55000"
# A user's rollup over a built-in table cannot follow it onto the shards.
q "SELECT pulse.create_rollup('public.tweet_counts', \$q\$SELECT date_bin('1 hour', created_at, '2000-01-01') AS hour, count(*) AS n FROM pulse.tweets GROUP BY 1\$q\$, emit => 'none')" \
  >/dev/null || fail "create_rollup"
[ "$(sqlstate "SELECT pulse.distribute(4)")" = 0A000 ] || fail "a rollup over pulse.tweets did not stop distribute with 0A000"
q "SELECT pulse.drop_rollup('public.tweet_counts')" >/dev/null || fail "drop_rollup"

# A worker's own maintenance round (its background worker runs one every
# pulse.maintenance_interval) leaves Pulse's tables there alone: they are the
# extension's shells, whose shards and partitions the coordinator makes. A
# partition it made would stop distribute ("relation ... already exists").
for port in 5433 5434; do
  PGPORT=$port q "SELECT count(*) FROM pulse.run_maintenance()" >/dev/null || fail "maintenance on the worker at $port"
  [ "$(PGPORT=$port q "SELECT count(*) FROM pg_inherits WHERE inhparent IN ('pulse.tweets'::regclass, 'pulse.candles'::regclass, 'pulse_internal.landing_chunks'::regclass)")" = 0 ] \
    || fail "maintenance on the worker at $port made partitions of Pulse's tables"
done

# 2. Distributed: tweets by id, candles by market, landing by stream, 4 shards each.
got=$(q "SELECT table_name, distribution_column, shards, split_part(note, ';', 1) FROM pulse.distribute(4)")
[ "$got" = "pulse.tweets|id|4|distributed
pulse.candles|market|4|distributed
pulse_internal.landing_chunks|stream|4|distributed" ] || fail "distribute: $got"
got=$(q "SELECT logicalrelid, partmethod, column_to_column_name(logicalrelid, partkey), (SELECT count(*) FROM pg_dist_shard s WHERE s.logicalrelid = p.logicalrelid)
           FROM pg_dist_partition p WHERE logicalrelid::text LIKE 'pulse%' ORDER BY logicalrelid::text")
[ "$got" = "pulse.candles|h|market|4
pulse.tweets|h|id|4
pulse_internal.landing_chunks|h|stream|4" ] || fail "Citus metadata: $got"
# again: nothing to do
[ "$(q "SELECT string_agg(note, ',') FROM pulse.distribute(4)")" = "already distributed,already distributed,already distributed" ] \
  || fail "second distribute"
# and no rollup can be made over a distributed table afterwards (its
# statement triggers would not run): refused with 0A000, nothing made
[ "$(sqlstate "SELECT pulse.create_rollup('public.tweet_counts', \$q\$SELECT date_bin('1 hour', created_at, '2000-01-01') AS hour, count(*) AS n FROM pulse.tweets GROUP BY 1\$q\$, emit => 'none')")" = 0A000 ] \
  || fail "create_rollup over the distributed pulse.tweets was not refused with 0A000"
[ "$(q "SELECT to_regclass('public.tweet_counts') IS NULL")" = t ] || fail "a refused rollup left its table"
# the statement triggers are gone, the sentiment row trigger is on the shards
[ "$(q "SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger WHERE tgrelid = 'pulse.tweets'::regclass AND NOT tgisinternal")" = tweets_sentiment ] \
  || fail "triggers left on pulse.tweets"
# shards on both workers
for port in 5433 5434; do
  [ "$(q "SELECT count(*) FROM pg_dist_shard_placement WHERE nodeport = $port AND shardid IN (SELECT shardid FROM pg_dist_shard WHERE logicalrelid = 'pulse.tweets'::regclass)")" = 2 ] \
    || fail "tweets shards on the worker at $port"
done

# 3. Partitions of a distributed table: ensure_partitions makes distributed
# partitions; a write lands on the workers; the sentiment trigger runs there.
[ "$(q "SELECT pulse.ensure_partitions('pulse.tweets', '2024-03-11', '2024-03-13')")" = 2 ] || fail "ensure_partitions"
[ "$(q "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'pulse.tweets_p2024031%'")" = 2 ] || fail "partitions not distributed"
q "INSERT INTO pulse.tweets (id, created_at, text) VALUES (1, '2024-03-11 10:00', 'I love this'), (2, '2024-03-12 10:00', 'awful')" || fail "insert"
[ "$(q "SELECT id, sentiment > 0 FROM pulse.tweets ORDER BY id")" = "1|t
2|f" ] || fail "sentiment on the shards: $(q "SELECT id, sentiment FROM pulse.tweets")"
[ "$(( $(qn 5433 "SELECT count(*) FROM pulse.tweets") ))" = 2 ] || fail "a worker's view of the distributed table"

# 4. A user's distributed partitioned table under partition_by_time:
# premake from the clock, backfill, retention (dropped on the workers too),
# no clustering, and nothing done by a worker's maintenance.
q "DROP TABLE IF EXISTS public.trades; CREATE TABLE public.trades (market text NOT NULL, traded_at timestamptz NOT NULL, price numeric, seen bigint,
     PRIMARY KEY (market, traded_at)) PARTITION BY RANGE (traded_at);
   SELECT create_distributed_table('public.trades', 'market', shard_count => 4)" >/dev/null || fail "trades"
register() {  # retain
  q "SELECT pulse.partition_by_time('public.trades', 'traded_at', every => '1 day', premake => 2, retain => $1,
                                    cluster_by => '{market}', lateness => '1 hour')" >/dev/null || fail "partition_by_time"
}
register NULL
now_parts=$(q "SELECT count(*) FROM pulse.partitions WHERE parent = 'public.trades'::regclass AND upper(range) > now()")
[ "$now_parts" -ge 3 ] || fail "premake: $now_parts partitions from today on"
[ "$(q "SELECT pulse.ensure_partitions('public.trades', date_trunc('day', now()) - interval '10 days', date_trunc('day', now()) - interval '8 days')")" = 2 ] \
  || fail "backfill ensure_partitions"
register "'3 days'"
old=$(q "SELECT string_agg(partition::text, ',') FROM pulse.partitions WHERE parent = 'public.trades'::regclass AND upper(range) < now() - interval '3 days'")
[ -n "$old" ] || fail "no old partitions to expire"
old_shards=$(q "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid::text IN (SELECT unnest(string_to_array('$old', ',')))")
[ "$old_shards" = 8 ] || fail "old partitions' shards: $old_shards"
# a worker's maintenance leaves the Citus tables to the coordinator
[ "$(qn 5433 "SELECT count(*) FROM pulse.run_maintenance() WHERE parent::text IN ('pulse.tweets', 'pulse.candles', 'pulse_internal.landing_chunks')")" = 0 ] \
  || fail "a worker maintained a Citus table"
got=$(q "SELECT dropped, clustered, note FROM pulse.run_maintenance('public.trades')")
[ "$got" = "2|0|ok" ] || fail "maintenance of trades: $got"
[ "$(q "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid::text LIKE 'public.trades_p%' AND logicalrelid::regclass::text IN (SELECT unnest(string_to_array('$old', ',')))")" = 0 ] \
  || fail "expired partitions' shards left in the metadata"
for port in 5433 5434; do
  [ "$(qn $port "SELECT count(*) FROM pg_class WHERE relname ~ ('^(' || replace(replace('$old', 'public.', ''), ',', '|') || ')_[0-9]+\$')")" = 0 ] \
    || fail "expired partitions' shards left on the worker at $port"
done

# 5. pulse.merge into the distributed table: counts, idempotence, versions,
# backfill partitions for a day without one, duplicate keys refused.
merge() {  # rows as VALUES (market, traded_at, price, seen)
  q "CREATE TEMP TABLE src (market text, traded_at timestamptz, price numeric, seen bigint);
     INSERT INTO src VALUES $1;
     SELECT inserted, updated, unchanged FROM pulse.merge('public.trades', 'src', '{market,traded_at}', 'seen')"
}
day=$(q "SELECT to_char(date_trunc('day', now()) - interval '1 day', 'YYYY-MM-DD')")
rows="('KRW-BTC', '$day 10:00', 1.0, 1), ('KRW-ETH', '$day 10:00', 2.0, 1), ('BTCUSDT', '$day 10:01', 3.0, 1)"
[ "$(merge "$rows")" = "3|0|0" ] || fail "first merge"
[ "$(merge "$rows")" = "0|0|3" ] || fail "merge again"
[ "$(merge "('KRW-BTC', '$day 10:00', 1.00, 2), ('KRW-ETH', '$day 10:00', 2.0, 2), ('BTCUSDT', '$day 10:01', 9.0, 0)")" = "0|2|1" ] \
  || fail "merge: newer versions (1.0 -> 1.00, a new seen) update, an older one does not"
[ "$(q "SELECT string_agg(market || '=' || price::text || '@' || seen, ' ' ORDER BY market) FROM public.trades")" = "BTCUSDT=3.0@1 KRW-BTC=1.00@2 KRW-ETH=2.0@2" ] \
  || fail "rows after merges: $(q "SELECT * FROM public.trades")"
# a day with no partition yet (backfill), beyond premake's reach
[ "$(merge "('KRW-BTC', '$(q "SELECT to_char(now() - interval '2 days', 'YYYY-MM-DD')") 23:59', 5, 1)")" = "1|0|0" ] || fail "backfill merge"
[ "$(sqlstate "CREATE TEMP TABLE src (market text, traded_at timestamptz, price numeric, seen bigint);
               INSERT INTO src VALUES ('X', '$day 11:00', 1, 1), ('X', '$day 11:00', 2, 1);
               SELECT * FROM pulse.merge('public.trades', 'src', '{market,traded_at}', 'seen')")" = 21000 ] \
  || fail "conflicting duplicates not refused with 21000"
[ "$(sqlstate "CREATE TEMP TABLE src (traded_at timestamptz, price numeric);
               SELECT * FROM pulse.merge('public.trades', 'src', '{traded_at}')")" = 42P10 ] \
  || fail "a key without the distribution column not refused with 42P10"
echo "ok"
