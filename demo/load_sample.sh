#!/usr/bin/env bash
# Loads a day made by demo/generate.py exactly as a live run would: the
# replay server (tests/replay/server.py --data-dir) serves it on 127.0.0.1 in
# the APIs' own formats, `pulse-load candles` backfills both markets with
# --since/--until, and `pulse-load tweets --source stream` reads the filtered
# stream until its checkpoint holds the day's last tweet and its coverage
# (pulse.coverage, which the loaders record) holds the whole day: the replay
# presents the day as a recording on its own clock, and the last seconds are
# covered once the loader's gap search after the recording ends has run.
# Safe to rerun: a second load merges every record as unchanged.
#   demo/load_sample.sh DATA_DIR [--db CONNINFO] [--bin PATH/pulse-load] [--timeout SECONDS]
# The connection defaults to the PG* variables.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=${1:?usage: demo/load_sample.sh DATA_DIR [--db CONNINFO] [--bin PULSE_LOAD] [--timeout S]}
shift
db=""; bin=${PULSE_LOAD:-$here/../build/pulse-load}; timeout=300
while [ $# -gt 0 ]; do
  case "$1" in
    --db) db=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    *) echo "load_sample.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -f "$data/manifest.json" ] || { echo "load_sample.sh: no $data/manifest.json (run demo/generate.py)" >&2; exit 2; }

q() { psql -XAtq -v ON_ERROR_STOP=1 ${db:+-d "$db"} -c "$1"; }
manifest() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$data/manifest.json" "$1"; }
since=$(manifest from); until=$(manifest until)
last_id=$(tail -n 1 "$data/x/stream.jsonl" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["data"]["id"])')

tmp=$(mktemp -d)
server_pid=""; stream_pid=""
cleanup() {
  [ -n "$stream_pid" ] && kill "$stream_pid" 2>/dev/null
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# The replay server checks this token; it exists only for the local server.
export X_REPLAY_BEARER_TOKEN="pulse-demo-replay-$$" PULSE_TWITTER_BEARER_TOKEN="pulse-demo-replay-$$"
unset TWITTER_BEARER_TOKEN
PULSE_REPLAY_X_HOLD_S=${PULSE_REPLAY_X_HOLD_S:-3600} \
  python3 "$here/../tests/replay/server.py" --data-dir "$data" --port-file "$tmp/port" >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || { cat "$tmp/server.log" >&2; echo "load_sample.sh: replay server did not start" >&2; exit 1; }
api="http://127.0.0.1:$(cat "$tmp/port")"
echo "replay server on $api serving $data ($since .. $until)"

for m in "upbit KRW-BTC" "binance BTCUSDT"; do
  set -- $m
  echo "pulse-load candles --exchange $1 --market $2 --since $since --until $until"
  "$bin" candles --exchange "$1" --market "$2" --since "$since" --until "$until" --api-url "$api" \
    ${db:+--db "$db"} --quiet --stream "demo_$1_$2"
done

started=$(q "SELECT clock_timestamp()")
echo "pulse-load tweets --source stream (until the checkpoint holds tweet $last_id and the day is covered)"
"$bin" tweets --source stream --query 'bitcoin OR btc OR #bitcoin OR #btc' --api-url "$api" \
  ${db:+--db "$db"} --quiet --stream demo_x_stream --flush-interval 500 &
stream_pid=$!
deadline=$(( $(date +%s) + timeout ))
until [ "$(q "SELECT count(*) FROM pulse.checkpoints WHERE stream = 'demo_x_stream'
                AND updated_at >= '$started' AND position::text LIKE '%$last_id%'")" = 1 ] &&
      [ "$(q "SELECT count(*) FROM pulse.coverage WHERE source = 'demo_x_stream' AND subject = 'tweets'
                AND covered @> tstzrange('$since', '$until')")" = 1 ]; do
  kill -0 "$stream_pid" 2>/dev/null || { echo "load_sample.sh: the stream loader exited" >&2; exit 1; }
  [ "$(date +%s)" -ge "$deadline" ] && { echo "load_sample.sh: the stream did not finish in ${timeout}s" >&2; exit 1; }
  sleep 0.5
done
kill -TERM "$stream_pid"; wait "$stream_pid" || { echo "load_sample.sh: stream loader failed" >&2; exit 1; }
stream_pid=""
echo "loaded: $(q "SELECT count(*) FROM pulse.tweets WHERE created_at >= '$since' AND created_at < '$until'") tweets, $(q "SELECT count(*) FROM pulse.candles WHERE bucket_start >= '$since' AND bucket_start < '$until'") candles"
