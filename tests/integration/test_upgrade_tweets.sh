#!/usr/bin/env bash
# Upgrading tweets from 0.1.0: 0.1.0 keyed a row by (id, created_at) with
# created_at as each record claimed it, so it stored two rows for one id
# whose records disagreed, and rows off their snowflake id's time. ALTER
# EXTENSION pulse UPDATE leaves one row per id: created_at the id's time (or,
# for an id from before snowflakes, the created_at first stored), the newest
# observation's values with fields it lacks from older rows, rules unioned.
# Rows already keyed right keep their values, every row gets the sentiment
# of its text (0.2.0's new column), and pulse.reapply of the 0.1.0 landing
# records afterwards changes nothing more.
. "$(dirname "$0")/common_lib.sh"

db=pulse_it_upgrade_tweets
dropdb --if-exists "$db" >/dev/null 2>&1
createdb "$db" || fail "createdb $db"
export PGDATABASE=$db
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION pulse VERSION '0.1.0'" || fail "install 0.1.0"

# One base minute for every received_at and its check (now() moves, and may
# pass a minute boundary between the inserts and the check).
base=$(q "SELECT date_trunc('minute', now())")
# Through 0.1.0's own apply_batch, in batches observed one after the
# other (received_at 3, 2, 1 hours ago).
land() {  # batch hours_ago payload...
  local b=$1 h=$2; shift 2
  local i=0 p
  for p in "$@"; do
    i=$((i + 1))
    q "INSERT INTO pulse.landing (stream, format, batch_id, seq, received_at, payload)
       VALUES ('x/up', 'twitter_v2', $b, $i, timestamptz '$base' - interval '$h hours', '$p')" >/dev/null \
      || fail "landing batch $b"
  done
  q "SELECT * FROM pulse.apply_batch('x/up', $b, '{\"batch\": $b}')" >/dev/null || fail "apply batch $b"
}
q "SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 day', now() + interval '1 day')" >/dev/null
# 1750000000000000000 encodes 2024-01-24 03:38:08.084 UTC; +(1000 << 22) is one second later.
land 1 3 \
  '{"data":{"id":"1750000000000000000","created_at":"2024-01-24T03:38:08.000Z","text":"first","lang":"en","public_metrics":{"like_count":1,"retweet_count":1}},"matching_rules":[{"id":"1","tag":"a"}]}' \
  '{"data":{"id":"1750000004194304000","created_at":"2024-01-20T00:00:00.000Z","text":"off its id","public_metrics":{"like_count":7}}}' \
  '{"data":{"id":"1750000008388608000","created_at":"2024-01-24T03:38:10.000Z","text":"keyed right"}}'
land 2 2 \
  '{"data":{"id":"1750000000000000000","created_at":"2024-01-25T00:00:00.000Z","text":"second","public_metrics":{"like_count":5,"retweet_count":2}},"matching_rules":[{"id":"2","tag":"b"}]}'
land 3 1 \
  '{"data":{"id":"1750000000000000000","created_at":"2024-01-26T00:00:00.000Z","text":"third, no metrics"}}'
# an id from before snowflakes, in batches of its own (a batch spanning 2006
# to 2024 would make 0.1.0 create every daily partition in between)
land 4 3 '{"data":{"id":"20","created_at":"2006-03-21T20:50:14.000Z","text":"old id, first"}}'
land 5 2 '{"data":{"id":"20","created_at":"2006-03-22T00:00:00.000Z","text":"old id, second"}}'
[ "$(q "SELECT count(*) FROM pulse.tweets")" = 7 ] || fail "0.1.0 should hold 7 rows (3 + 1 + 2 + 1): $(q "SELECT id, created_at FROM pulse.tweets")"
# the row's values but the column 0.2.0 adds
row_q="SELECT (to_jsonb(t) - 'sentiment')::text FROM pulse.tweets t WHERE id = 1750000008388608000"
keyed_right_before=$(q "$row_q")

psql -X -q -v ON_ERROR_STOP=1 -c 'ALTER EXTENSION pulse UPDATE' >"$work/update.out" 2>&1 || { cat "$work/update.out"; fail "ALTER EXTENSION pulse UPDATE"; }

got=$(q "SELECT id, created_at, text, lang, like_count, retweet_count, matched_rules FROM pulse.tweets ORDER BY id")
want="20|2006-03-21 20:50:14+00|old id, second||||{}
1750000000000000000|2024-01-24 03:38:08+00|third, no metrics|en|5|2|{a,b}
1750000004194304000|2024-01-24 03:38:09+00|off its id||7||{}
1750000008388608000|2024-01-24 03:38:10+00|keyed right||||{}"
[ "$got" = "$want" ] || fail "rows after the update:
$got
expected:
$want"
[ "$(q "$row_q")" = "$keyed_right_before" ] || fail "a row keyed right was changed"
[ "$(q "SELECT count(*) FROM pulse.tweets WHERE sentiment IS NOT NULL AND sentiment = pulse.sentiment(text)")" = 4 ] \
  || fail "sentiment after the update: $(q "SELECT id, text, sentiment FROM pulse.tweets")"
# observed_at the newest observation's, ingested_at the first row's
[ "$(q "SELECT observed_at = timestamptz '$base' - interval '1 hour' FROM pulse.tweets WHERE id = 1750000000000000000")" = t ] \
  || fail "observed_at: $(q "SELECT observed_at FROM pulse.tweets WHERE id = 1750000000000000000")"
# every moved row is in a partition the partition manager knows
[ "$(q "SELECT count(*) FROM pulse.tweets WHERE tableoid = 'pulse.tweets'::regclass")" = 0 ] || fail "rows outside partitions"

# reapply of the 0.1.0 landing records: nothing changes any more; notes for
# the claims the keys overruled
r=$(q "SELECT batches, inserted, updated, rejected FROM pulse.reapply('x/up', now() - interval '1 day', now() + interval '1 day')")
[ "$r" = "5|0|0|0" ] || fail "reapply after the update: $r"
[ "$(q "SELECT count(*) FROM pulse.rejects WHERE reason LIKE '%stored with%'")" = 4 ] \
  || fail "notes: $(q "SELECT reason FROM pulse.rejects")"
[ "$(q "SELECT count(*) FROM pulse.tweets")" = 4 ] || fail "rows after reapply: $(q "SELECT id, created_at FROM pulse.tweets")"
echo "ok: 0.1.0's duplicate and mis-keyed tweets become one row per id keyed by the id's time"
dropdb --if-exists "$db" >/dev/null 2>&1
