# Shared by the test_tweets_*.sh integration tests (sourced, not a test):
# a database of its own with the extension, the X replay server, helpers.
set -uo pipefail
bin=${PULSE_LOAD:?}
src=${PULSE_SOURCE_DIR:?}
fix=$src/tests/fixtures/x_api
work=$(mktemp -d)
replay_pid=""
fail() { echo "FAIL: $*"; [ -f "$work/replay.log" ] && tail -5 "$work/replay.log"; exit 1; }
cleanup() {
  [ -n "$replay_pid" ] && kill "$replay_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# A fresh database named $1 with the extension. Partitions come from the
# partition manager when the built-in tables are managed, else one catch-all
# partition each (these tests are about the loader, not about partitioning).
new_db() {
  db=$1
  dropdb --if-exists "$db" >/dev/null 2>&1
  createdb "$db" || fail "createdb $db"
  psql -Xq -v ON_ERROR_STOP=1 "$db" >/dev/null <<'SQL' || fail "setting up $db"
CREATE EXTENSION pulse;
DO $$
DECLARE managed boolean := false;
BEGIN
  IF to_regclass('pulse.managed_tables') IS NOT NULL THEN
    EXECUTE 'SELECT EXISTS (SELECT FROM pulse.managed_tables WHERE parent = ''pulse.landing''::regclass)' INTO managed;
  END IF;
  IF NOT managed THEN
    CREATE TABLE public.test_landing PARTITION OF pulse.landing FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
    CREATE TABLE public.test_tweets PARTITION OF pulse.tweets FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
  END IF;
END $$;
SQL
  export PGDATABASE=$db
}

q() { psql -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

# Starts the replay server on scenario file $1; sets api=http://127.0.0.1:PORT.
start_replay() {
  [ -n "$replay_pid" ] && { kill "$replay_pid" 2>/dev/null; wait "$replay_pid" 2>/dev/null; }
  rm -f "$work/port" "$work/replay.log"
  python3 "$src/tests/replay/x_api.py" "$1" "$work/port" "$work/replay.log" &
  replay_pid=$!
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
