#!/usr/bin/env bash
# Coverage of the tweet loaders (SPEC "Completeness and watermarks"), exact:
# the filtered stream covers each connection from when it opened on the
# server's clock (the replay presents a recording on its own clock) and a
# disconnect's gap only as far as the gap-fill search reached, or not at all
# when there is nothing to search with; on a live server the stream runs on
# the loader's clock; a recent search round covers X's window for it once
# all its pages are in (a round that failed covers nothing); a file covers
# [first, last] of its tweets unless --covers FROM..UNTIL or none; a re-run
# leaves coverage as it was; an extension without coverage (0.1.0) still loads.
. "$(dirname "$0")/tweets_lib.sh"
new_db pulse_it_coverage_tweets
export PULSE_LOAD_TEST_TIME_SCALE=0.02
use_token "coverage-token-$$"

# Tweets at given times (snowflake ids that encode them), as JSON lists.
tweets() {  # NAME HH:MM:SS...
  python3 - "$@" <<'PY'
import json, sys, datetime
out = {}
for hms in sys.argv[2:]:
    t = datetime.datetime.strptime("2024-08-27T" + hms, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    ms = int(t.timestamp() * 1000)
    i = (ms - 1288834974657) << 22
    out[hms] = {"id": str(i), "text": "bitcoin at " + hms, "created_at": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "author_id": "42", "lang": "en"}
print(json.dumps(out))
PY
}
tw=$(tweets x 12:00:10 12:00:20 12:00:30 12:02:00 12:03:00 12:05:20 12:05:40)
covered() { q "SELECT covered FROM pulse.coverage WHERE source = '$1' AND subject = '$2'"; }
expect_covered() {  # STREAM SUBJECT MULTIRANGE
  [ "$(q "SELECT count(*) FROM pulse.coverage WHERE source = '$1' AND subject = '$2' AND covered = '$3'::tstzmultirange")" = 1 ] ||
    fail "$1 $2 covers $(covered "$1" "$2"), expected $3"
}
stream_scenario() {  # RULES_JSON: a recording on its own clock, the loader disconnected 12:00:30-12:05:10
  python3 - "$tw" "$1" <<'PY'
import json, sys
t, rules = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({
  "clock": "2024-08-27T12:00:00Z", "rules": rules,
  "stream": [{"clock": "2024-08-27T12:00:00Z", "lines": [t["12:00:10"], t["12:00:20"], t["12:00:30"]],
              "end_clock": "2024-08-27T12:05:00Z", "then": "close"},
             {"clock": "2024-08-27T12:05:10Z", "lines": [t["12:05:20"], t["12:05:40"]], "then": "hold"}],
  "search": [t[k] for k in ("12:00:10", "12:00:20", "12:00:30", "12:02:00", "12:03:00")], "page_size": 2}))
PY
}
run_stream() {  # STREAM EXPECTED [loader args...]: runs the stream until it covers EXPECTED
  local stream=$1 want=$2; shift 2
  "$bin" tweets --source stream --api-url "$api" --stream "$stream" --flush-interval 50 "$@" 2>"$work/err_$stream" &
  local pid=$!
  wait_for "SELECT count(*) FROM pulse.coverage WHERE source = '$stream' AND covered = '$want'::tstzmultirange" 1 30
  local found=$?
  kill -TERM $pid; wait $pid || fail "$stream: loader exit $?: $(tail -3 "$work/err_$stream")"
  [ $found = 0 ] || fail "$stream covers $(covered "$stream" tweets), expected $want"
}

# --- stream, gap filled: the recording connected at 12:00:00 sent three
# tweets and ended at 12:05:00; the reconnect's search (at 12:05:00, so up
# to 12:04:30) found the two sent meanwhile; the next connection opened at
# 12:05:10. What nobody covered (12:04:30-12:05:10) stays uncovered.
stream_scenario '[{"id": "1", "value": "bitcoin"}]' >"$work/a.json"
start_replay "$work/a.json"
run_stream cov_stream '{["2024-08-27 12:00:00+00","2024-08-27 12:04:30+00"),["2024-08-27 12:05:10+00","2024-08-27 12:05:40+00")}'
[ "$(q "SELECT count(*) FROM pulse.tweets")" = 7 ] || fail "stream and gap fill: $(q "SELECT count(*) FROM pulse.tweets") tweets"
[ "$(q "SELECT watermark FROM pulse.coverage WHERE source = 'cov_stream'")" = "2024-08-27 12:05:40+00" ] || fail "watermark"

# --- stream, gap not fillable (no rules and no --query: nothing to search
# with): the gap stays uncovered.
stream_scenario '[]' >"$work/b.json"
start_replay "$work/b.json"
run_stream cov_stream_nogap '{["2024-08-27 12:00:00+00","2024-08-27 12:00:30+00"),["2024-08-27 12:05:10+00","2024-08-27 12:05:40+00")}'
grep -q "the gap since the last tweet is not filled" "$work/err_cov_stream_nogap" || fail "no warning about the unfilled gap"

# --- stream on a live server (Date is now): the loader's clock, from the
# connection on, never past now; the 2024 tweet it sends is no evidence.
python3 - "$tw" >"$work/c.json" <<'PY'
import json, sys
t = json.loads(sys.argv[1])
print(json.dumps({"stream": [{"lines": [t["12:00:10"]], "then": "hold"}], "search": []}))
PY
start_replay "$work/c.json"
before=$(q "SELECT clock_timestamp()")
"$bin" tweets --source stream --api-url "$api" --stream cov_live --flush-interval 50 2>"$work/err_live" &
pid=$!
wait_for "SELECT count(*) FROM pulse.coverage WHERE source = 'cov_live'" 1 30 || fail "live stream recorded no coverage"
kill -TERM $pid; wait $pid || fail "live stream exit"
# Every covered range lies between the start and now (one per connection: on
# a loaded machine the loader may have reconnected, which leaves the time in
# between uncovered, rightly), and there is at least one.
[ "$(q "SELECT count(*) > 0 AND count(*) FILTER (WHERE lower(r) < '$before' OR upper(r) > clock_timestamp()) = 0
          FROM pulse.coverage c, unnest(c.covered) r WHERE c.source = 'cov_live'")" = t ] ||
  fail "live stream covers $(covered cov_live tweets) (started $before)"

# --- recent search: the round's window on the server's clock (Date
# 2024-08-28 00:00): [now - 7 days (+ a minute kept as margin), now - 30 s);
# the next round from since_id's time on.
python3 - "$tw" "2024-08-28T00:00:00Z" >"$work/d.json" <<'PY'
import json, sys
t = json.loads(sys.argv[1])
print(json.dumps({"clock": sys.argv[2], "search": [t[k] for k in ("12:00:10", "12:00:20", "12:02:00")], "page_size": 2}))
PY
start_replay "$work/d.json"
"$bin" tweets --source search --query bitcoin --api-url "$api" --stream cov_search 2>"$work/err" || fail "search: $(tail -3 "$work/err")"
expect_covered cov_search tweets '{["2024-08-21 00:01:00+00","2024-08-27 23:59:30+00")}'
python3 - "$tw" "2024-08-29T00:00:00Z" >"$work/d2.json" <<'PY'
import json, sys
t = json.loads(sys.argv[1])
print(json.dumps({"clock": sys.argv[2], "search": list(t.values()), "page_size": 2}))
PY
start_replay "$work/d2.json"
"$bin" tweets --source search --query bitcoin --api-url "$api" --stream cov_search 2>"$work/err" || fail "search 2: $(tail -3 "$work/err")"
expect_covered cov_search tweets '{["2024-08-21 00:01:00+00","2024-08-28 23:59:30+00")}'
# A round whose second page fails covers nothing.
python3 - "$tw" >"$work/e.json" <<'PY'
import json, sys
t = json.loads(sys.argv[1])
print(json.dumps({"clock": "2024-08-28T00:00:00Z", "search": list(t.values()), "page_size": 2, "search_fail_after": 1}))
PY
start_replay "$work/e.json"
"$bin" tweets --source search --query bitcoin --api-url "$api" --stream cov_search_fail 2>"$work/err"
[ $? = 3 ] || fail "failed search round: exit $?"
[ "$(q "SELECT count(*) FROM pulse.coverage WHERE source = 'cov_search_fail'")" = 0 ] ||
  fail "a failed round covers $(covered cov_search_fail tweets)"

# --- files: [first, last] of the tweets (a bad line does not count), or
# --covers FROM..UNTIL, or nothing with --covers none.
python3 - "$tw" >"$work/tweets.jsonl" <<'PY'
import json, sys
t = json.loads(sys.argv[1])
for k in ("12:00:20", "12:03:00", "12:00:10"):
    print(json.dumps({"data": t[k]}))
print('{"data": {"id": "not json')
PY
"$bin" tweets --source file --file "$work/tweets.jsonl" --stream cov_file 2>"$work/err" || fail "file: $(tail -3 "$work/err")"
expect_covered cov_file tweets '{["2024-08-27 12:00:10+00","2024-08-27 12:03:00+00"]}'
stamp=$(q "SELECT updated_at FROM pulse.coverage WHERE source = 'cov_file'")
# A re-run (every batch merges as unchanged) declares the same again: no change.
"$bin" tweets --source file --file "$work/tweets.jsonl" --stream cov_file --batch-rows 1 2>"$work/err" || fail "file re-run"
expect_covered cov_file tweets '{["2024-08-27 12:00:10+00","2024-08-27 12:03:00+00"]}'
[ "$(q "SELECT updated_at FROM pulse.coverage WHERE source = 'cov_file'")" = "$stamp" ] || fail "a re-run touched coverage"
"$bin" tweets --source file --file "$work/tweets.jsonl" --stream cov_file_range --covers 2024-08-27T11:00Z..2024-08-27T13:00:00+00:00 2>"$work/err" ||
  fail "--covers range: $(tail -3 "$work/err")"
expect_covered cov_file_range tweets '{["2024-08-27 11:00:00+00","2024-08-27 13:00:00+00")}'
"$bin" tweets --source file --file "$work/tweets.jsonl" --stream cov_file_none --covers none 2>"$work/err" || fail "--covers none"
[ "$(q "SELECT count(*) FROM pulse.coverage WHERE source = 'cov_file_none'")" = 0 ] || fail "--covers none recorded coverage"
# v1.1 statuses: the snowflake's time, else (before 2010) the claimed created_at.
cat >"$work/v1.jsonl" <<'JSON'
{"id_str": "1828439127711744000", "id": 1828439127711744000, "created_at": "Tue Aug 27 14:00:00 +0000 2024", "text": "bitcoin", "user": {"id_str": "1", "screen_name": "a"}}
{"id_str": "20", "id": 20, "created_at": "Tue Mar 21 20:50:14 +0000 2006", "text": "just setting up my twttr", "user": {"id_str": "12", "screen_name": "jack"}}
JSON
"$bin" tweets --source file --format twitter_v1 --file "$work/v1.jsonl" --stream cov_v1 2>"$work/err" || fail "v1 file: $(tail -3 "$work/err")"
want_hi=$(q "SELECT to_char(to_timestamp(((1828439127711744000 >> 22) + 1288834974657) / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')")
expect_covered cov_v1 tweets "{[\"2006-03-21 20:50:14+00\",\"$want_hi+00\"]}"

# --- --covers is checked before anything runs: exit 2 and one line.
for bad in "2024-08-27..2024-08-26" "yesterday" "2024-08-27" "2024-08-27..2024-08-28..2024-08-29"; do
  "$bin" tweets --source file --file "$work/tweets.jsonl" --covers "$bad" 2>"$work/err"
  [ $? = 2 ] && grep -q -- "--covers" "$work/err" || fail "--covers $bad: $(cat "$work/err")"
done
"$bin" tweets --source stream --covers none 2>"$work/err"
[ $? = 2 ] && grep -q "is for --source file" "$work/err" || fail "--covers with the stream: $(cat "$work/err")"
# A database whose extension predates coverage (0.1.0, no declare_coverage):
# the load goes on and says it records no coverage.
dropdb --if-exists --force pulse_it_coverage_010 >/dev/null 2>&1
createdb pulse_it_coverage_010 && psql -Xq -d pulse_it_coverage_010 -c "CREATE EXTENSION pulse VERSION '0.1.0'" || fail "0.1.0 set-up"
"$bin" tweets --source file --file "$work/tweets.jsonl" --db dbname=pulse_it_coverage_010 2>"$work/err" || fail "0.1.0 load: $(tail -3 "$work/err")"
grep -q "records no coverage" "$work/err" || fail "0.1.0: no word about coverage: $(cat "$work/err")"
[ "$(psql -XAtq -d pulse_it_coverage_010 -c "SELECT count(*) FROM pulse.tweets")" = 3 ] || fail "0.1.0: tweets not loaded"
dropdb pulse_it_coverage_010
echo "ok: stream (replayed clock, gap filled or not, live clock), search rounds, files and --covers record exact coverage"
