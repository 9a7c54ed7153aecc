#!/usr/bin/env bash
# A stream belongs to one running loader at a time (issue 13, item 2).
# 1. Loader A holds --stream S (it reads a FIFO the test keeps open, so it is
#    deterministically alive); loader B with the same --stream exits 2 at
#    once with one line naming A's session, and loads nothing; A then loads
#    its whole input exactly once (typed rows and landing).
# 2. --wait-for-stream waits for the holder (with "still waiting" lines
#    naming it), then loads; SIGTERM while waiting exits 0 having loaded
#    nothing.
# 3. The lease is taken again after a reconnect: A's session is terminated
#    while a psql session queues for A's lease, so psql gets it; A's next
#    batch reconnects, finds the stream held and stops with exit 2 naming
#    psql; nothing of the batch is committed, and a later run loads the rest.
# On main before the lease: B is not refused (step 1 fails).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tweets_lib.sh"
new_db pulse_it_loader_lease
# Advisory locks of this database only (other tests share the cluster).
locks="pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"

n=3000
make_tweet_lines "$work/a.jsonl" $n 1
make_tweet_lines "$work/b.jsonl" 500 100001
mkfifo "$work/fifo"

# --- 1. a second loader of a held stream exits 2 naming the holder
"$bin" tweets --source file --file "$work/fifo" --stream S --batch-rows 400 --flush-interval 50 --quiet \
  2>"$work/err_a" &
pa=$!
wait_for_lease S || fail "loader A did not take the lease of stream S: $(cat "$work/err_a")"
holder=$(lease_holder S)
[ "$(q "SELECT application_name FROM pg_stat_activity WHERE pid = $holder")" = "pulse-load tweets S" ] \
  || fail "the holder's application_name: $(q "SELECT application_name FROM pg_stat_activity WHERE pid = $holder")"
"$bin" tweets --source file --file "$work/b.jsonl" --stream S --quiet 2>"$work/err_b"
rb=$?
[ $rb = 2 ] || fail "loader B on a held stream exited $rb, expected 2: $(cat "$work/err_b")"
[ "$(grep -c . "$work/err_b")" = 1 ] || fail "loader B printed more than one line: $(cat "$work/err_b")"
grep -q "stream \"S\" is being loaded by pid $holder (user postgres, application \"pulse-load tweets S\"" "$work/err_b" \
  || fail "loader B's message does not name the holder (pid $holder): $(cat "$work/err_b")"
# A is still there and loads everything once.
exec 3>"$work/fifo"
cat "$work/a.jsonl" >&3
exec 3>&-
wait $pa; ra=$?
[ $ra = 0 ] || fail "loader A exited $ra: $(cat "$work/err_a")"
got=$(q "SELECT count(*), count(DISTINCT id) FROM pulse.tweets")
[ "$got" = "$n|$n" ] || fail "tweets (count|distinct) $got, expected $n|$n"
got=$(q "SELECT count(*), count(DISTINCT payload) FROM pulse.landing WHERE stream = 'S'")
[ "$got" = "$n|$n" ] || fail "landing (count|distinct) $got, expected $n|$n"
[ "$(q "SELECT count(*) FROM pulse.tweets WHERE text LIKE 'tweet 1000__ %'")" = 0 ] || fail "loader B's tweets were stored"
[ -z "$(lease_holder S)" ] || fail "the lease outlived loader A"
echo "ok: a second loader of a held stream exits 2 naming the holder; the first loads $n once"

# --- 2. --wait-for-stream waits, names whom it waits for, then loads
hold_sql="SELECT pg_advisory_lock(hashtextextended('pulse.stream:' || 'W', 0))"
psql -X -q -At -c "$hold_sql" -c "SELECT pg_sleep(2.5)" >/dev/null 2>&1 &
pp=$!
wait_for_lease W || fail "psql did not take the lease of W"
psql_pid=$(lease_holder W)
PULSE_LOAD_TEST_TIME_SCALE=0.05 "$bin" tweets --source file --file "$work/b.jsonl" --stream W --wait-for-stream \
  --log-format json 2>"$work/err_w"
rw=$?
wait $pp
[ $rw = 0 ] || fail "--wait-for-stream exited $rw: $(cat "$work/err_w")"
python3 - "$work/err_w" "$psql_pid" <<'PY' || fail "--wait-for-stream log: $(cat "$work/err_w")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
msgs = [l["msg"] for l in lines]
pid = sys.argv[2]
assert any(m.startswith('waiting for stream "W": it is being loaded by pid %s (' % pid) for m in msgs), msgs
assert sum(m.startswith('still waiting for stream "W": it is being loaded by pid %s' % pid) for m in msgs) >= 2, msgs
assert 'got stream "W" after waiting' in msgs, msgs
s = [l for l in lines if l["msg"] == "summary"]
assert len(s) == 1 and s[0]["inserted"] == 500, s
PY
# SIGTERM while waiting: exit 0, nothing loaded.
psql -X -q -At -c "$hold_sql" -c "SELECT pg_sleep(30)" >/dev/null 2>&1 &
pp=$!
wait_for_lease W || fail "psql did not take the lease of W again"
before=$(q "SELECT count(*) FROM pulse.landing")
"$bin" tweets --source file --file "$work/a.jsonl" --stream W --wait-for-stream 2>"$work/err_t" &
pt=$!
wait_for "SELECT count(*) FROM $locks AND NOT granted" 1 20 \
  || fail "the waiting loader does not wait on the lease: $(cat "$work/err_t")"
kill -TERM $pt; wait $pt; rt=$?
[ $rt = 0 ] || fail "SIGTERM while waiting exited $rt: $(cat "$work/err_t")"
grep -q 'stopped while waiting for stream "W"; nothing was loaded' "$work/err_t" || fail "SIGTERM message: $(cat "$work/err_t")"
[ "$(q "SELECT count(*) FROM pulse.landing")" = "$before" ] || fail "a loader stopped while waiting loaded rows"
q "SELECT pg_terminate_backend($(lease_holder W))" >/dev/null
wait $pp 2>/dev/null
echo "ok: --wait-for-stream waits naming the holder, then loads; SIGTERM while waiting loads nothing"

# --- 3. after a reconnect the lease is taken again; held by another: exit 2, nothing half-done
make_tweet_lines "$work/c.jsonl" 2000 200001
"$bin" tweets --source file --file "$work/fifo" --stream R --batch-rows 100000 --flush-interval 100 \
  2>"$work/err_r" &
pr=$!
wait_for_lease R || fail "loader R did not take the lease"
loader_pid=$(lease_holder R)
exec 3>"$work/fifo"
head -n 1000 "$work/c.jsonl" >&3
# fread waits for a full buffer: 1000 lines stay unread until more come or
# the FIFO closes, so nothing of R's is committed yet. A psql session queues
# for R's lease; R's session is terminated; psql gets the lease.
# (3>&-: psql must not keep the FIFO open, or the loader never sees its end.)
psql -X -q -At -c "SELECT pg_advisory_lock(hashtextextended('pulse.stream:' || 'R', 0))" -c "SELECT pg_sleep(30)" \
  >/dev/null 2>&1 3>&- &
pp=$!
wait_for "SELECT count(*) FROM $locks AND NOT granted" 1 20 || fail "psql does not queue"
q "SELECT pg_terminate_backend($loader_pid)" >/dev/null
wait_for "SELECT count(*) FROM $locks AND granted AND pid <> $loader_pid" 1 20 \
  || fail "psql did not get the lease"
psql_pid=$(lease_holder R)
tail -n +1001 "$work/c.jsonl" >&3
exec 3>&-
wait $pr; rr=$?
[ $rr = 2 ] || fail "loader R after losing its lease exited $rr, expected 2: $(cat "$work/err_r")"
grep -q "error: after reconnecting, stream \"R\" is being loaded by pid $psql_pid " "$work/err_r" \
  || fail "loader R's message does not name the new holder (pid $psql_pid): $(cat "$work/err_r")"
[ "$(q "SELECT count(*) FROM pulse.landing WHERE stream = 'R'")" = 0 ] || fail "landing rows of R's uncommitted batch"
[ "$(q "SELECT count(*) FROM pulse.checkpoints WHERE stream = 'R'")" = 0 ] || fail "R's checkpoint moved"
q "SELECT pg_terminate_backend($psql_pid)" >/dev/null
wait $pp 2>/dev/null
wait_for "SELECT count(*) FROM $locks" 0 20 || fail "psql's lease stayed"
"$bin" tweets --source file --file "$work/c.jsonl" --stream R --quiet 2>"$work/err_r2" || fail "rerun of R: $(cat "$work/err_r2")"
[ "$(q "SELECT count(*) FROM pulse.tweets WHERE text LIKE 'tweet 2_____ %'")" = 2000 ] || fail "R's rerun"
[ "$(q "SELECT count(*) FROM pulse.landing WHERE stream = 'R'")" = 2000 ] || fail "R's landing after the rerun"
echo "ok: the lease is taken again after a reconnect; held by another session: exit 2, nothing committed, a rerun loads all"
