#!/usr/bin/env bash
# pulse-load tweets --source file: the recorded X API fixtures (a JSON Lines
# page archive, the recent-search cassette's tweets as a JSON array), the
# hand-written v1.1 sample through stdin, and bad input of every kind: each
# bad record is a reject with its bytes and the load goes on.
. "$(dirname "$0")/tweets_lib.sh"
new_db pulse_it_tweets_file

# 1. JSON Lines of v2 pages (twarc archive with its __twarc key)
"$bin" tweets --source file --file "$fix/two_tweets.jsonl" --quiet 2>"$work/err" || fail "two_tweets.jsonl: exit $?: $(cat "$work/err")"
[ "$(q "SELECT id, created_at, author_id, text, lang, hashtags, mentions, is_retweet, retweeted_id, retweet_count, like_count FROM pulse.tweets")" = \
  "1394735776701816833|2021-05-18 19:24:56+00|1379899464345923590|RT @bibaigna96: #POIUYTREWQ|und|{poiuytrewq}|{bibaigna96}|t|1391677057810288641|1|0" ] \
  || fail "two_tweets.jsonl row: $(q "SELECT * FROM pulse.tweets")"
# the expansion (the retweeted original) is not a row
[ "$(q "SELECT count(*) FROM pulse.tweets")" = 1 ] || fail "expansion stored as a row"
grep -q "records 1, rejected 0; rows inserted 1," "$work/err" || fail "summary: $(cat "$work/err")"
# again: nothing written
"$bin" tweets --source file --file "$fix/two_tweets.jsonl" --quiet 2>"$work/err" || fail "rerun exit $?"
grep -q "inserted 0, updated 0, unchanged 1" "$work/err" || fail "rerun summary: $(cat "$work/err")"

# 2. A JSON array (pretty-printed, spanning lines) of v2 stream lines built
# from the recorded default-fields search page: no created_at, so the time
# comes from the snowflake ids.
python3 - "$fix/test_client_search_recent_tweets.yaml" >"$work/array.json" <<'PY'
import base64, gzip, json, re, sys
t = open(sys.argv[1]).read()
raw = base64.b64decode("".join(re.search(r"!!binary \|\n((?:[ \t]+[A-Za-z0-9+/=]+\n)+)", t).group(1).split()))
page = json.loads(gzip.decompress(raw))
print(json.dumps([{"data": d, "matching_rules": [{"id": "9", "tag": "tweepy"}]} for d in page["data"]], indent=2))
PY
"$bin" tweets --source file --file "$work/array.json" --quiet 2>"$work/err" || fail "array: exit $?: $(cat "$work/err")"
[ "$(q "SELECT count(*), min(created_at), max(created_at) FROM pulse.tweets WHERE 'tweepy' = ANY (matched_rules)")" = \
  "10|2022-10-07 22:24:12+00|2022-10-07 22:42:12+00" ] || fail "array rows: $(q "SELECT id, created_at FROM pulse.tweets ORDER BY id")"
# each row's created_at is the second its text (written by the recording's
# own client) names
[ "$(q "SELECT count(*) FROM pulse.tweets WHERE text LIKE to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '.%'")" = 10 ] \
  || fail "snowflake times do not match the texts"

# 3. v1.1 statuses (hand-written sample) through stdin
"$bin" tweets --source file --file - --format twitter_v1 --quiet <"$fix/v1_statuses.jsonl" 2>"$work/err" || fail "v1 stdin: exit $?: $(cat "$work/err")"
[ "$(q "SELECT text, hashtags, cashtags, mentions, retweet_count, like_count, reply_count, quote_count FROM pulse.tweets WHERE id = 1149827914406539264")" = \
  "Bitcoin above 11k again, watching #BTC and \$BTC closely tonight with @CryptoDesk and everyone on the #Lightning network. 🚀|{btc,lightning}|{btc}|{cryptodesk}|12|34|5|6" ] \
  || fail "v1 extended tweet: $(q "SELECT * FROM pulse.tweets WHERE id = 1149827914406539264")"
[ "$(q "SELECT is_retweet, retweeted_id, author_id, created_at, left(text, 40) FROM pulse.tweets WHERE id = 1149848395880738816")" = \
  "t|1149827914406539264|12|2019-07-13 01:09:55+00|RT @Twitter: Bitcoin above 11k again, wa" ] || fail "v1 retweet"
[ "$(q "SELECT count(*) FROM pulse.rejects WHERE format = 'twitter_v1' AND reason LIKE '%stream notice \"delete\"%'")" = 1 ] || fail "v1 delete notice not rejected"

# 4. Bad input, one record each, between good ones, in one batch.
python3 - "$work/bad.jsonl" <<'PY'
import datetime, json, sys
def tw(i, text, **kw):
    ms = (i >> 22) + 1288834974657     # the time the snowflake id encodes, as X prints it
    ts = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    d = {"id": str(i), "created_at": ts, "text": text}
    d.update(kw)
    return json.dumps({"data": d})
lines = [
    tw(1724796000000000001, "first good one #ok").encode(),
    b'{"data":{"id":"1724796000000000002","text":"cut off',                       # truncated line
    b'{"data": {id: 3}}',                                                          # invalid JSON
    b'[1, 2, 3]',                                                                  # wrong shape
    tw(1724796000000000004, "nul").replace('"nul"', '"nul\\u0000here"').encode(), # \u0000
    b'{"data":{"id":"1724796000000000005","text":"bad \xff\xfe bytes"}}',          # invalid UTF-8
    tw(1724796000000000006, "x").replace('"x"', '"half \\ud83d emoji"').encode(),  # lone surrogate
    tw(1724796000000000007, "a" * (10 << 20)).encode(),                            # a 10 MB line
    b'{"data":{"id":"1724796000000000008","text":"' + b"b" * (17 << 20) + b'"}}',  # beyond 16 MB
    tw(1724796000000000009, "last good one").encode(),
]
open(sys.argv[1], "wb").write(b"\n".join(lines) + b"\n")
PY
"$bin" tweets --source file --file "$work/bad.jsonl" --stream bad_input --quiet 2>"$work/err" || fail "bad input: exit $?: $(cat "$work/err")"
[ "$(q "SELECT string_agg(id::text, ',' ORDER BY id) FROM pulse.tweets WHERE id BETWEEN 1724796000000000000 AND 1724796000000000009")" = \
  "1724796000000000001,1724796000000000004,1724796000000000006,1724796000000000007,1724796000000000009" ] \
  || fail "stored ids: $(q "SELECT id FROM pulse.tweets WHERE id > 1724796000000000000")"
[ "$(q "SELECT text FROM pulse.tweets WHERE id = 1724796000000000004")" = "nulhere" ] || fail "NUL not cleaned"
[ "$(q "SELECT text FROM pulse.tweets WHERE id = 1724796000000000006")" = "half � emoji" ] || fail "lone surrogate not replaced"
[ "$(q "SELECT length(text) FROM pulse.tweets WHERE id = 1724796000000000007")" = $((10 << 20)) ] || fail "10 MB text"
check_reject() {  # pattern, expected count
  local n; n=$(q "SELECT count(*) FROM pulse.rejects WHERE stream = 'bad_input' AND reason LIKE '$1'")
  [ "$n" = "$2" ] || fail "rejects like '$1': $n, expected $2; all: $(q "SELECT reason FROM pulse.rejects WHERE stream = 'bad_input'")"
}
check_reject 'invalid JSON%' 3            # truncated, unquoted key, invalid UTF-8
check_reject '%not a twitter_v2 record: a JSON array%' 1
check_reject 'cleaned: removed 1 \\u0000 escape%' 1
check_reject 'cleaned: replaced 1 unpaired surrogate escape%' 1
check_reject 'record of 17825839 bytes is longer than the limit of 16777216 bytes%' 1
[ "$(q "SELECT count(*) FROM pulse.rejects WHERE stream = 'bad_input'")" = 7 ] || fail "reject count"
# the bytes as received survive: invalid UTF-8 and the \u0000 escape
[ "$(q "SELECT encode(raw, 'escape') FROM pulse.rejects WHERE stream = 'bad_input' AND position('\\xfffe'::bytea in raw) > 0")" = \
  '{"data":{"id":"1724796000000000005","text":"bad \377\376 bytes"}}' ] || fail "invalid UTF-8 bytes not kept"
[ "$(q "SELECT position(convert_to('\u0000', 'UTF8') in raw) > 0 FROM pulse.rejects WHERE stream = 'bad_input' AND reason LIKE 'cleaned: removed%'")" = t ] \
  || fail "original bytes of the cleaned record not kept"
[ "$(q "SELECT octet_length(raw) FROM pulse.rejects WHERE stream = 'bad_input' AND reason LIKE 'record of%'")" = 65536 ] || fail "oversized prefix"
# the records the loader kept are in landing chunks split at the four it
# rejected itself (invalid JSON, oversized): every line but those, each once
lines=$(wc -l <"$work/bad.jsonl")
[ "$(q "SELECT count(*) || ' ' || count(DISTINCT (batch_id, seq)) FROM pulse.landing WHERE stream = 'bad_input'")" = \
  "$((lines - 4)) $((lines - 4))" ] || fail "landed records: $(q "SELECT count(*) FROM pulse.landing WHERE stream = 'bad_input'") of $lines lines"
[ "$(q "SELECT count(*) > 1 AND sum(n) = $((lines - 4)) FROM pulse_internal.landing_chunks WHERE stream = 'bad_input'")" = t ] \
  || fail "landing chunks: $(q "SELECT string_agg(batch_id || ':' || seq || '+' || n, ' ' ORDER BY batch_id, seq) FROM pulse_internal.landing_chunks WHERE stream = 'bad_input'")"
[ "$(q "SELECT count(*) FROM pulse.landing WHERE stream = 'bad_input' AND payload->'data'->>'text' IN ('first good one #ok', 'last good one')")" = 2 ] \
  || fail "the first and last lines' landing records"
# a record keeps its place in the batch across the rejects before it (line
# 4 is 3 after line 1, past two rejected lines): chunks break at a gap
[ "$(q "SELECT b.seq - a.seq FROM pulse.landing a, pulse.landing b
         WHERE a.stream = 'bad_input' AND b.stream = 'bad_input' AND a.batch_id = b.batch_id
           AND a.payload->'data'->>'text' = 'first good one #ok' AND b.payload = '[1, 2, 3]'")" = 3 ] \
  || fail "seq across rejects: $(q "SELECT string_agg(batch_id || ':' || seq || '+' || n, ' ' ORDER BY batch_id, seq) FROM pulse_internal.landing_chunks WHERE stream = 'bad_input'")"

# usage errors
"$bin" tweets --source file --quiet 2>/dev/null; [ $? = 2 ] || fail "--source file without --file must exit 2"
"$bin" tweets --source file --file /nonexistent --quiet 2>/dev/null; [ $? = 2 ] || fail "missing file must exit 2"
"$bin" tweets --source file --file - --format twitter_v3 </dev/null 2>/dev/null; [ $? = 2 ] || fail "bad --format must exit 2"
echo "ok: tweet files (JSON Lines, JSON array, stdin; v2 pages, v2 lines, v1.1) and bad input"
