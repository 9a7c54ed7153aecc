# Shared by the test_tweets_*.sh integration tests (sourced, not a test):
# a database of its own with the extension, the X replay server, helpers.
lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$lib_dir/common_lib.sh"
fix=$src/tests/fixtures/x_api
fail_log=$work/replay.log

# use_token TOKEN: the bearer token the replay server expects and the loader
# sends; TWITTER_BEARER_TOKEN is unset so only PULSE_TWITTER_BEARER_TOKEN counts.
use_token() {
  export X_REPLAY_BEARER_TOKEN=$1 PULSE_TWITTER_BEARER_TOKEN=$1
  unset TWITTER_BEARER_TOKEN
}

# Starts the replay server on scenario file $1; sets api=http://127.0.0.1:PORT.
start_replay() {
  [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; }
  rm -f "$work/port" "$work/replay.log"
  python3 "$src/tests/replay/x_api.py" "$1" "$work/port" "$work/replay.log" &
  server_pid=$!
  for _ in $(seq 100); do [ -f "$work/port" ] && break; sleep 0.05; done
  [ -f "$work/port" ] || fail "replay server did not start"
  api="http://127.0.0.1:$(cat "$work/port")"
}

# Waits until SQL $1 returns $2 (up to $3 seconds, default 20).
wait_for() {
  local deadline=$(( $(date +%s) + ${3:-20} ))
  while [ "$(q "$1")" != "$2" ]; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

# Tweet objects for scenarios: id N gets a snowflake-consistent created_at.
tweet_json() {  # id text [extra json members]
  python3 - "$@" <<'PY'
import json, sys, datetime
i = int(sys.argv[1]); text = sys.argv[2]
ms = (i >> 22) + 1288834974657
ts = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
t = {"id": str(i), "text": text, "created_at": ts, "author_id": "42", "lang": "en",
     "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1, "quote_count": 0}}
if len(sys.argv) > 3:
    t.update(json.loads(sys.argv[3]))
print(json.dumps(t, ensure_ascii=False))
PY
}

# make_tweet_lines PATH N [FIRST]: N v2 stream lines (tweets FIRST..FIRST+N-1,
# snowflake ids with consistent created_at, one second apart) into PATH.
make_tweet_lines() {
  python3 - "$1" "$2" "${3:-1}" <<'PY'
import json, sys, datetime
path, n, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "w") as f:
    for k in range(first, first + n):
        i = 1724796000000000000 + k * 1000 * (1 << 22)
        ms = (i >> 22) + 1288834974657
        ts = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        f.write(json.dumps({"data": {"id": str(i), "text": "tweet %d #btc" % k, "created_at": ts, "author_id": "7"},
                            "matching_rules": [{"id": "1", "tag": "btc"}]}) + "\n")
PY
}

# The backend pid holding stream $1's lease in this database (empty if none):
# the advisory lock pulse-load takes on hashtextextended('pulse.stream:' || stream, 0).
lease_holder() {
  q "SELECT l.pid FROM (SELECT hashtextextended('pulse.stream:' || '$1', 0) AS k) key, pg_locks l
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = ((key.k >> 32) & 4294967295)::oid AND l.objid = (key.k & 4294967295)::oid"
}

# Waits until some session holds stream $1's lease (up to $2 seconds, default 20).
wait_for_lease() {
  local deadline=$(( $(date +%s) + ${2:-20} ))
  while [ -z "$(lease_holder "$1")" ]; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}
