#!/usr/bin/env bash
# The bearer token never appears in argv, output, logs or tables: a filtered
# stream load and a recent search with PULSE_TWITTER_BEARER_TOKEN set to a
# unique marker, with --log-format json and text, and the 401 error path;
# then the marker is searched in /proc/<pid>/cmdline and pg_stat_activity
# (while the loader runs), the loader's stdout/stderr, the replay server's
# log, the PostgreSQL server log, and every row of every pulse table.
. "$(dirname "$0")/tweets_lib.sh"
new_db pulse_it_faults_token
export PULSE_LOAD_TEST_TIME_SCALE=0.01
marker="tokmarker$RANDOM$$x$(date +%s%N)"
use_token "$marker"
python3 - >"$work/s.json" <<'PY'
import json, datetime
def tw(k):
    i = 1724796000000000000 + k * 1000 * (1 << 22)
    ms = (i >> 22) + 1288834974657
    ts = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {"id": str(i), "text": "tweet %d" % k, "created_at": ts, "author_id": "7", "lang": "en"}
t = [tw(k) for k in range(1, 6)]
rules = [{"id": "1001", "tag": "btc"}]
print(json.dumps({"rules": [], "stream": [{"lines": t[:3], "then": "hold", "rules": rules}],
                  "search": t, "page_size": 2}))
PY
start_replay "$work/s.json"
"$bin" tweets --source stream --query 'bitcoin' --api-url "$api" --flush-interval 50 --log-format json \
  >"$work/out" 2>"$work/err" &
pid=$!
wait_for "SELECT count(*) FROM pulse.tweets" 3 30 || fail "the stream did not load: $(tail -3 "$work/err")"
tr '\0' ' ' <"/proc/$pid/cmdline" >"$work/cmdline"
grep -q -- "--source stream" "$work/cmdline" || fail "cmdline check is blind"
grep -qF "$marker" "$work/cmdline" && fail "token in argv"
q "SELECT coalesce(query, '') || ' ' || coalesce(application_name, '') FROM pg_stat_activity" >"$work/activity"
grep -q "pulse-load" "$work/activity" || fail "pg_stat_activity check is blind"
grep -qF "$marker" "$work/activity" && fail "token in pg_stat_activity"
kill -TERM $pid; wait $pid; status=$?
[ $status = 0 ] || fail "stream SIGTERM exit $status: $(tail -3 "$work/err")"
# text logs (not --quiet) from a search, and the 401 path in both formats
"$bin" tweets --source search --query x --api-url "$api" >>"$work/out" 2>>"$work/err" || fail "search exit $?: $(tail -3 "$work/err")"
for fmt in text json; do
  PULSE_TWITTER_BEARER_TOKEN="wrong$marker" "$bin" tweets --source search --query x --api-url "$api" --stream "s401$fmt" \
    --log-format $fmt >>"$work/out" 2>>"$work/err"
  [ $? = 3 ] || fail "401 ($fmt) must exit 3"
done
grep -q "401" "$work/err" || fail "the 401 path was not taken: $(tail -3 "$work/err")"

grep -qF "$marker" "$work/out" "$work/err" && fail "token in loader output"
grep -qF "$marker" "$work/replay.log" && fail "token in the replay server's log"
grep -qF "$marker" "${PULSE_TEST_STATE:?}/postgres.log" && fail "token in the PostgreSQL server log"
# every row of every table in schema pulse, as text (bytea too: rejects.raw)
hits=$(q "SELECT string_agg(format('SELECT %L AS t, count(*) AS n FROM %s x WHERE x::text LIKE %L OR position(convert_to(%L, ''UTF8'') in convert_to(x::text, ''UTF8'')) > 0', c.oid::regclass, c.oid::regclass, '%$marker%', '$marker'), ' UNION ALL ')
          FROM pg_class c WHERE c.relnamespace = 'pulse'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition")
[ -n "$hits" ] || fail "no pulse tables found"
found=$(q "SELECT coalesce(string_agg(t, ', '), '') FROM ($hits) s WHERE n > 0")
[ -z "$found" ] || fail "token in table(s): $found"
# the table check sees loaded data
[ "$(q "SELECT count(*) FROM ($(echo "$hits" | sed "s/$marker/tweet 1/g")) s WHERE n > 0")" -ge 1 ] || fail "the table check is blind"
# rejects.raw as bytes
[ "$(q "SELECT count(*) FROM pulse.rejects WHERE position(convert_to('$marker', 'UTF8') in raw) > 0")" = 0 ] || fail "token in rejects.raw"
echo "ok: the token is in no argv, output, log or table"
