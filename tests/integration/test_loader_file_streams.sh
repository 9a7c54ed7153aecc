#!/usr/bin/env bash
# Default stream names of file loads carry the file's identity, and the
# stream lease keeps two loads of one file apart (issue 13, item 2).
# 1. Two tweet files loaded at once with the default stream name: every
#    tweet of both is stored (on main both were "tweets_file": the second
#    loader's batch ids collided with the first's, apply_batch returned zeros
#    for them, and half the tweets were silently dropped). The overlap is
#    deterministic: both loaders read FIFOs, and both are connected before
#    either gets its data.
# 2. The same file twice at once, --batch-rows 500 and 700 (the second with
#    --wait-for-stream): both exit 0, every tweet once, and each run lands
#    each record once (on main: 18,500 of 20,000 stored, 2,100 landing rows
#    doubled). The first loader is held at its first batch by a lock on
#    pulse.checkpoints, so the second deterministically starts while the
#    first holds the stream.
# 3. The default name: the same file again gets the same stream (it resumes),
#    a copy elsewhere another one; stdin is tweets_file:stdin.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tweets_lib.sh"
new_db pulse_it_loader_file_streams
sessions="SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'pulse-load%'"

# --- 1. two different files at once, default stream names
n=10000
make_tweet_lines "$work/a.jsonl" $n 1
make_tweet_lines "$work/b.jsonl" $n 100001
mkfifo "$work/a.fifo" "$work/b.fifo"
"$bin" tweets --source file --file "$work/a.fifo" --batch-rows 1000 --flush-interval 50 --quiet 2>"$work/err_a" &
pa=$!
"$bin" tweets --source file --file "$work/b.fifo" --batch-rows 1000 --flush-interval 50 --quiet 2>"$work/err_b" &
pb=$!
wait_for "$sessions" 2 20 || fail "the two loaders did not connect: $(cat "$work/err_a" "$work/err_b")"
# A gets all its data and finishes while B, connected since before, waits.
cat "$work/a.jsonl" >"$work/a.fifo"
wait $pa; ra=$?
cat "$work/b.jsonl" >"$work/b.fifo"
wait $pb; rb=$?
[ $ra = 0 ] || fail "loader A exited $ra: $(cat "$work/err_a")"
[ $rb = 0 ] || fail "loader B exited $rb: $(cat "$work/err_b")"
got=$(q "SELECT count(*), count(DISTINCT id) FROM pulse.tweets")
[ "$got" = "$((2 * n))|$((2 * n))" ] || fail "tweets (count|distinct) $got, expected $((2 * n))|$((2 * n)) (both exited 0)"
got=$(q "SELECT count(*), count(DISTINCT payload) FROM pulse.landing")
[ "$got" = "$((2 * n))|$((2 * n))" ] || fail "landing (count|distinct) $got, expected $((2 * n))|$((2 * n))"
[ "$(q "SELECT count(*) FROM pulse.checkpoints WHERE stream ~ '^tweets_file:[ab]\.fifo:[0-9a-f]{12}$'")" = 2 ] \
  || fail "default stream names: $(q "SELECT string_agg(stream, ' ') FROM pulse.checkpoints")"
echo "ok: two files at once with default stream names: $((2 * n)) tweets, each once"

# --- 2. one file twice at once: --batch-rows 500, then 700 with --wait-for-stream
new_db pulse_it_loader_file_streams2
n=20000
make_tweet_lines "$work/same.jsonl" $n 1
mkfifo "$work/ctl"
psql -X -q -At -v ON_ERROR_STOP=1 <"$work/ctl" >/dev/null 2>&1 &
pq=$!
exec 4>"$work/ctl"
echo "BEGIN; LOCK TABLE pulse.checkpoints IN EXCLUSIVE MODE; SELECT 'locked';" >&4
wait_for "SELECT count(*) FROM pg_locks WHERE relation = 'pulse.checkpoints'::regclass AND mode = 'ExclusiveLock' AND granted" 1 \
  || fail "psql did not lock pulse.checkpoints"
"$bin" tweets --source file --file "$work/same.jsonl" --batch-rows 500 --quiet 2>"$work/err_500" 4>&- &
p5=$!
# A holds the stream's lease and waits at its first apply_batch.
wait_for "SELECT count(*) FROM pg_locks WHERE relation = 'pulse.checkpoints'::regclass AND NOT granted" 1 \
  || fail "the first loader did not reach its first batch: $(cat "$work/err_500")"
PULSE_LOAD_TEST_TIME_SCALE=0.05 "$bin" tweets --source file --file "$work/same.jsonl" --batch-rows 700 --wait-for-stream \
  2>"$work/err_700" 4>&- &
p7=$!
wait_for "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())" 1 \
  || fail "the second loader does not wait for the stream: $(cat "$work/err_700")"
echo "COMMIT;" >&4
exec 4>&-
wait $pq
wait $p5; r5=$?
wait $p7; r7=$?
[ $r5 = 0 ] || fail "--batch-rows 500 exited $r5: $(cat "$work/err_500")"
[ $r7 = 0 ] || fail "--batch-rows 700 exited $r7: $(cat "$work/err_700")"
grep -q "pulse-load: summary: pages 0, records $n, rejected 0; rows inserted $n, updated 0, unchanged 0; " "$work/err_500" \
  || fail "first run's summary: $(cat "$work/err_500")"
grep -q 'waiting for stream "tweets_file:same.jsonl:[0-9a-f]*": it is being loaded by pid [0-9]* (user postgres, application "pulse-load tweets tweets_file:same.jsonl:' "$work/err_700" \
  || fail "the second loader does not say whom it waits for: $(cat "$work/err_700")"
grep -q "pulse-load: summary: pages 0, records $n, rejected 0; rows inserted 0, updated 0, unchanged $n; " "$work/err_700" \
  || fail "second run's summary: $(cat "$work/err_700")"
got=$(q "SELECT count(*), count(DISTINCT id) FROM pulse.tweets")
[ "$got" = "$n|$n" ] || fail "tweets (count|distinct) $got, expected $n|$n"
# The second run read the finished file again in full (by design): each run
# landed each record exactly once, in batches of its own.
got=$(q "SELECT count(*), count(*) FILTER (WHERE c = 2) FROM (SELECT payload, count(*) AS c FROM pulse.landing GROUP BY 1) p")
[ "$got" = "$n|$n" ] || fail "landing: (distinct records|records landed twice) $got, expected $n|$n"
got=$(q "SELECT count(*) FROM (SELECT batch_id FROM pulse.landing GROUP BY 1 HAVING count(*) NOT IN (500, 700, $n % 500, $n % 700)) b")
[ "$got" = 0 ] || fail "landing batches of mixed sizes: $got"
[ "$(q "SELECT count(*) FROM pulse.checkpoints")" = 1 ] || fail "checkpoints: $(q "SELECT string_agg(stream, ' ') FROM pulse.checkpoints")"
echo "ok: one file twice at once (500 vs 700 rows a batch): both exit 0, $n tweets once, each run lands each record once"

# --- 3. the default name is the file's identity
stream_of() { q "SELECT stream FROM pulse.checkpoints ORDER BY updated_at DESC LIMIT 1"; }
mkdir "$work/small" "$work/copy"
make_tweet_lines "$work/small/s.jsonl" 20 300001
"$bin" tweets --source file --file "$work/small/s.jsonl" --quiet 2>/dev/null || fail "first small run"
first=$(stream_of)
[[ "$first" =~ ^tweets_file:s\.jsonl:[0-9a-f]{12}$ ]] || fail "the default stream name: $first"
"$bin" tweets --source file --file "$work/small/s.jsonl" --quiet 2>/dev/null || fail "second small run"
[ "$(stream_of)" = "$first" ] || fail "the same file got another stream name: $(stream_of) vs $first"
(cd "$work/small" && "$bin" tweets --source file --file ./s.jsonl --quiet 2>/dev/null) || fail "relative path run"
[ "$(stream_of)" = "$first" ] || fail "a relative path to the same file got another stream name: $(stream_of)"
cp "$work/small/s.jsonl" "$work/copy/"
"$bin" tweets --source file --file "$work/copy/s.jsonl" --quiet 2>/dev/null || fail "copy run"
[ "$(stream_of)" != "$first" ] && [[ "$(stream_of)" == tweets_file:s.jsonl:* ]] || fail "a copy shares the stream: $(stream_of)"
head -n 3 "$work/small/s.jsonl" | "$bin" tweets --source file --file - --quiet 2>/dev/null || fail "stdin run"
[ "$(stream_of)" = "tweets_file:stdin" ] || fail "stdin's stream: $(stream_of)"
echo "ok: default file stream names: same file same name, a copy another, stdin tweets_file:stdin"
