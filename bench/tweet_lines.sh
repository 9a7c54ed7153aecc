# Sourced by bench/tweets_bench.sh and bench/tweets_projection_bench.sh: the
# X API v2 stream lines both load.
# gen_lines COUNT FILE FIRST-K: COUNT lines into FILE, tweets FIRST-K on, ids
# about 86 ms apart (about 12 a second over a day), two of six hashtags each.
gen_lines() {  # count file first-k: v2 stream lines, ids about 86 ms apart
python3 - "$1" "$2" "$3" <<'PY'
import json, sys, datetime, random
n = int(sys.argv[1]); k0 = int(sys.argv[3]); rnd = random.Random(7 + k0)
base = 1724796000000000000
tags = ["Bitcoin", "BTC", "crypto", "ETH", "hodl", "DeFi"]
with open(sys.argv[2], "w") as f:
    for k in range(k0, k0 + n):
        i = base + k * 86 * (1 << 22)           # about 12 per second over a day
        ms = (i >> 22) + 1288834974657
        ts = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        h = rnd.sample(tags, 2)
        d = {"id": str(i), "created_at": ts, "author_id": str(1000 + k % 5000), "lang": "en",
             "text": "tweet %d about #%s and $%s with @user%d" % (k, h[0], h[1].upper(), k % 97),
             "entities": {"hashtags": [{"start": 16, "end": 24, "tag": h[0]}], "cashtags": [{"tag": h[1].upper()}],
                          "mentions": [{"username": "user%d" % (k % 97)}]},
             "public_metrics": {"retweet_count": k % 13, "reply_count": k % 3, "like_count": k % 101, "quote_count": k % 2}}
        f.write(json.dumps({"data": d, "matching_rules": [{"id": "1", "tag": "btc"}]}) + "\n")
PY
}
