#!/usr/bin/env python3
"""Generates Pulse's sample day: SYNTHETIC tweets and 1-minute candles.

Nothing here is real data. Users, tweets and prices are invented from a seed
(same --seed, same bytes), in the shapes the APIs send, so the replay server
can serve them and pulse-load can load them exactly as it would live:

  x/stream.jsonl          X API v2 filtered-stream messages, one a line:
                          {"data":{...},"includes":{...},"matching_rules":[...]}
  upbit/KRW-BTC.json      Upbit GET /v1/candles/minutes/1 objects, newest first
  binance/BTCUSDT.json    Binance GET /api/v3/klines 12-element arrays, oldest first
  manifest.json           what was generated (seed, range, lead, counts)

The shape: a daily cycle of chatter (peak in the US/EU afternoon), bursts
that decay over minutes, retweets of a few viral tweets ("RT @user: ..."),
hashtags and cashtags (#bitcoin #btc $BTC ...), and trading volume on both
markets that follows tweet volume LEAD minutes later (default 3), with noise.

Planted answers for trending hashtags and sentiment (PLANTED below; times of
day on the first day of the run, applied where the run covers them): from
13:20 UTC for an hour a new Korean hashtag, #불장 ("bull market"), appears
for the first time (the first original tweet of minute 13:20 carries it) and
bursts, in positive wording with emoji (VADER compound about +0.88 to +0.90);
from 13:40 to 14:20 the established #etf triples (planted tweets twice its
rate of the hour before, retweets included), in negative wording (about
-0.86 to -0.92). Those texts replace the texts of some original tweets, chosen
by a second random generator, so the tweets, their times, authors, retweets
and the candles are exactly those of the same seed without them.
Prices and volumes are written as exact decimal text with each market's tick
size (Upbit KRW-BTC: 1000 KRW, 8-decimal volumes; Binance BTCUSDT: 0.01 USDT,
8-decimal strings), computed with integers so the text is exactly what a
loader must store.

  demo/generate.py [--seed N] [--start 2024-03-11T00:00:00Z] [--hours 24]
                   [--lead 3] [--rate 8] [--out DIR]

Standard library only, so it runs on a fresh machine.
"""

import argparse
import datetime as dt
import json
import math
import os
import random
import sys

TWITTER_EPOCH_MS = 1288834974657

# The filtered-stream rules a live run would register (scripts/demo --live).
RULES = [
    {"id": "1766843104511352832", "value": "bitcoin OR btc OR #bitcoin OR #btc", "tag": "bitcoin"},
    {"id": "1766843104511352833", "value": "$BTC", "tag": "cashtag"},
    {"id": "1766843104511352834", "value": "crypto OR #crypto OR 비트코인", "tag": "crypto"},
]

EN_TEMPLATES = [
    "Bitcoin at ${usd} right now. {mood} #bitcoin #btc",
    "$BTC {dir} {pct}% in the last hour {emoji} #crypto",
    "Just stacked more sats. {mood} #bitcoin #hodl",
    "Volume on $BTC is picking up, watch the {level} level #btc #trading",
    "Who else is watching #bitcoin today? {emoji}",
    "{mood} $BTC $ETH both {dir} #crypto #altcoins",
    "Bitcoin ETF flows looking {adj} again #bitcoin #etf",
    "Support at ${level} holding for now. $BTC #btc",
    "This #bitcoin move is {adj}. {emoji}",
    "New ATH soon? $BTC at ${usd} #bitcoin #ath",
    "Never sell your #btc {emoji} #hodl",
    "Market update: $BTC ${usd}, {dir} {pct}% #crypto #markets",
]
KO_TEMPLATES = [
    "비트코인 {krw}원 돌파 #비트코인 #BTC",
    "오늘 업비트 거래량 장난 아니네 #비트코인 {emoji}",
    "$BTC {pct}% {kdir} #코인 #bitcoin",
]
ES_TEMPLATES = [
    "El #bitcoin sigue {es_dir}, ahora en ${usd} #btc",
    "Comprando más $BTC hoy {emoji} #criptomonedas",
]
JA_TEMPLATES = [
    "ビットコインが{usd}ドル #ビットコイン #BTC",
]
MOODS = ["Bullish.", "Bearish?", "Wild times.", "Stay calm.", "Let's go!", "Hmm.", "Patience."]
EMOJI = ["🚀", "📈", "📉", "🔥", "👀", "💎🙌", "😬"]
ADJ = ["strong", "weak", "insane", "boring", "healthy", "scary"]
SYLLABLES = ["ka", "zu", "mi", "ro", "ta", "ne", "shi", "bo", "la", "vi", "dan", "kim", "lee",
             "park", "max", "sat", "coin", "hodl", "moon", "chain", "node", "block", "trade"]


# Planted hashtag events (see the docstring). Minutes of the day, UTC. The
# texts' VADER compound scores, checked with pulse.sentiment(), are in the
# comments; scripts/demo and the tests check the answers they plant.
PLANTED = {
    "new_tag": {"tag": "불장", "from": 13 * 60 + 20, "until": 14 * 60 + 20, "share": 0.30,
                "texts": [
                    "불장 시작! Love this rally, so happy 🚀 #불장 #btc",             # +0.8816
                    "불장 왔다 🚀🚀 Best day ever, great gains #불장 #비트코인",      # +0.8934
                    "Wow, what a beautiful green candle 😍 #불장 #btc",              # +0.8934
                    "불장이다! Excellent, I love it 🎉 #불장 #bitcoin",              # +0.8977
                ]},
    # share: set when the surge starts, so the tag's tweets triple (see plant)
    "surge": {"tag": "etf", "from": 13 * 60 + 40, "until": 14 * 60 + 20, "share": None,
              "texts": [
                  "ETF outflows again, terrible. Panic selling everywhere 😱 #etf #bitcoin",  # -0.9042
                  "Awful ETF news, I hate this dump 😭 #etf #btc",                            # -0.9153
                  "ETF outflows are killing the market, so sad and scared #etf",              # -0.9110
                  "Worst ETF day ever, people are angry and worried #etf #bitcoin",           # -0.8625
              ]},
}


def poisson(rng, lam):
    """Poisson sample; the stdlib has none. Knuth for small means, a rounded
    normal approximation above 30 (plenty for synthetic counts)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def snowflake(ms, worker, seq):
    return ((ms - TWITTER_EPOCH_MS) << 22) | ((worker & 0x3FF) << 12) | (seq & 0xFFF)


def iso_ms(ms):
    t = dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def iso_s(ms):
    return dt.datetime.fromtimestamp(ms // 1000, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def dec(units, scale, min_places=0):
    """Exact decimal text of units / 10**scale with trailing zeros trimmed to
    at least min_places (no float on the way)."""
    sign = "-" if units < 0 else ""
    units = abs(units)
    whole, frac = divmod(units, 10 ** scale)
    text = str(frac).rjust(scale, "0").rstrip("0") if scale else ""
    text = text.ljust(min_places, "0")
    return sign + str(whole) + ("." + text if text else "")


def dec_fixed(units, scale):
    return dec(units, scale, scale)


def div_round(a, b):
    """a / b rounded half to even, for integers."""
    q, r = divmod(a, b)
    if 2 * r > b or (2 * r == b and q % 2 == 1):
        q += 1
    return q


def entities_of(text, mentions):
    """X v2 entities with code-point start/end offsets, as the API reports."""
    ent = {}
    tags, cash = [], []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "#$" and (i == 0 or text[i - 1] in " (\n"):
            j = i + 1
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i + 1:j]
            if word and not word.isdigit():
                if ch == "#":
                    tags.append({"start": i, "end": j, "tag": word})
                elif word.isalpha():
                    cash.append({"start": i, "end": j, "tag": word})
            i = j
        else:
            i += 1
    if tags:
        ent["hashtags"] = tags
    if cash:
        ent["cashtags"] = cash
    if mentions:
        ent["mentions"] = mentions
    return ent


def matching_rules(text):
    low = text.lower()
    out = []
    if "bitcoin" in low or "btc" in low:
        out.append({"id": RULES[0]["id"], "tag": RULES[0]["tag"]})
    if "$btc" in low:
        out.append({"id": RULES[1]["id"], "tag": RULES[1]["tag"]})
    if "crypto" in low or "비트코인" in text:
        out.append({"id": RULES[2]["id"], "tag": RULES[2]["tag"]})
    return out or [{"id": RULES[0]["id"], "tag": RULES[0]["tag"]}]


class Generator:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        start = dt.datetime.strptime(args.start, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        if start.second or start.microsecond:
            raise SystemExit("generate.py: --start must be on a minute boundary")
        self.start_ms = int(start.timestamp()) * 1000
        self.minutes = int(round(args.hours * 60))
        if self.minutes < 1:
            raise SystemExit("generate.py: --hours must cover at least one minute")
        self.users = self.make_users(2000)
        # The planted texts draw from their own generator, so the main one's
        # stream (counts, times, authors, retweets, prices, volumes) is that
        # of the same seed without them.
        self.plant_rng = random.Random("planted-%d" % args.seed)
        day0 = self.start_ms - self.start_ms % 86400000
        self.planted = {k: dict(v, from_ms=day0 + v["from"] * 60000, until_ms=day0 + v["until"] * 60000,
                                tweets=0, first=None)
                        for k, v in PLANTED.items()}
        self.recent = []  # (ms, original?, has the surge's tag?) of the last hour's tweets

    def make_users(self, n):
        rng = self.rng
        users, seen = [], set()
        while len(users) < n:
            name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
            if rng.random() < 0.5:
                name += str(rng.randint(1, 9999))
            name = name[:15]
            if name in seen:
                continue
            seen.add(name)
            uid = rng.randint(10 ** 8, 10 ** 18)
            display = name.capitalize() if rng.random() < 0.7 else name.upper()
            # followers are heavy-tailed: a few accounts get most retweets
            users.append({"id": str(uid), "name": display, "username": name,
                          "reach": rng.paretovariate(1.3)})
        return users

    # -- chatter ---------------------------------------------------------
    def rate(self, minute_of_run, bursts):
        ms = self.start_ms + minute_of_run * 60000
        hour = (ms // 60000 % 1440) / 60.0
        cycle = 1.0 + 0.55 * math.sin(2 * math.pi * (hour - 9.0) / 24.0)  # peak ~15 UTC
        boost = sum(a * math.exp(-(minute_of_run - t0) / tau)
                    for t0, a, tau in bursts if t0 <= minute_of_run < t0 + 8 * tau)
        return self.args.rate * cycle * (1.0 + boost), cycle

    def tweet_counts(self):
        rng = self.rng
        n_bursts = max(1, int(round(self.minutes / 240)))  # about six a day
        bursts = sorted((rng.randrange(self.minutes), rng.uniform(2.0, 6.0), rng.uniform(4.0, 18.0))
                        for _ in range(n_bursts))
        counts, cycles, rates = [], [], []
        for m in range(self.minutes):
            lam, cyc = self.rate(m, bursts)
            counts.append(poisson(rng, lam))
            cycles.append(cyc)
            rates.append(lam)
        return counts, cycles, rates, bursts

    def text_for(self, price_usd_cents, price_krw, change_pct):
        rng = self.rng
        r = rng.random()
        if r < 0.78:
            tpl, lang = rng.choice(EN_TEMPLATES), "en"
        elif r < 0.90:
            tpl, lang = rng.choice(KO_TEMPLATES), "ko"
        elif r < 0.97:
            tpl, lang = rng.choice(ES_TEMPLATES), "es"
        else:
            tpl, lang = rng.choice(JA_TEMPLATES), "ja"
        usd = price_usd_cents // 100
        level = (usd // 500) * 500
        text = tpl.format(
            usd=f"{usd:,}", krw=f"{price_krw:,}", level=f"{level:,}",
            pct=f"{abs(change_pct):.1f}", dir="up" if change_pct >= 0 else "down",
            kdir="상승" if change_pct >= 0 else "하락",
            es_dir="subiendo" if change_pct >= 0 else "bajando",
            mood=rng.choice(MOODS), emoji=rng.choice(EMOJI), adj=rng.choice(ADJ))
        return text, lang

    def plant(self, ms, text, lang):
        """The text of an original tweet at ms: a planted one for a share of
        the tweets inside a planted window (the first original tweet of the
        new tag's window always), else the text it had."""
        rng = self.plant_rng
        u = rng.random()
        for key in ("new_tag", "surge"):
            p = self.planted[key]
            if not p["from_ms"] <= ms < p["until_ms"]:
                continue
            if p["share"] is None:
                # Twice the tag's tweets of the last hour (retweets included)
                # as a share of the original tweets of that hour, over what
                # the new tag leaves (it takes its share first), capped; 0.16
                # without history.
                hour = [r for r in self.recent if r[0] >= p["from_ms"] - 3600000]
                originals = sum(1 for r in hour if r[1])
                tagged = sum(1 for r in hour if r[2])
                left = 1.0 - self.planted["new_tag"]["share"]
                p["share"] = min(0.6, 2.0 * tagged / originals / left) if originals and tagged else 0.16
            if u < p["share"] or (key == "new_tag" and p["first"] is None):
                p["tweets"] += 1
                p["first"] = p["first"] or ms
                return rng.choice(p["texts"]), "ko" if key == "new_tag" else "en"
            u -= p["share"]
        return text, lang

    def tweets(self, counts, prices_usd, prices_krw):
        """Yields stream messages (dicts) in time order."""
        rng = self.rng
        hot = []  # originals that can be retweeted: [tweet, author, weight, metrics, born_minute]
        seq = 0
        for m, n in enumerate(counts):
            base_ms = self.start_ms + m * 60000
            offsets = sorted(rng.randrange(60000) for _ in range(n))
            hour_ago = max(0, m - 60)
            change = (prices_usd[m] - prices_usd[hour_ago]) * 100.0 / prices_usd[hour_ago]
            hot = [h for h in hot if m - h[4] < 360]
            for off in offsets:
                ms = base_ms + off
                seq += 1
                tid = snowflake(ms, rng.randrange(1024), seq)
                author = rng.choice(self.users)
                metrics = {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0,
                           "bookmark_count": 0, "impression_count": 0}
                if hot and rng.random() < 0.42:
                    weights = [h[2] * math.exp(-(m - h[4]) / 90.0) for h in hot]
                    orig, oauthor, _, ometrics, _ = rng.choices(hot, weights)[0]
                    ometrics["retweet_count"] += 1
                    ometrics["like_count"] += rng.randint(1, 4)
                    ometrics["impression_count"] += rng.randint(50, 900)
                    prefix = "RT @" + oauthor["username"] + ": "
                    text = prefix + orig["text"]
                    mention = [{"start": 3, "end": 4 + len(oauthor["username"]),
                                "username": oauthor["username"], "id": oauthor["id"]}]
                    ent = entities_of(text, mention)
                    data = {
                        "id": str(tid), "text": text, "created_at": iso_ms(ms),
                        "author_id": author["id"], "lang": orig["lang"],
                        "conversation_id": str(tid), "edit_history_tweet_ids": [str(tid)],
                        "possibly_sensitive": False, "entities": ent,
                        # a retweet reports the original's counts, as v2 does
                        "public_metrics": dict(ometrics),
                        "referenced_tweets": [{"type": "retweeted", "id": orig["id"]}],
                    }
                    original = dict(orig)
                    original["public_metrics"] = dict(ometrics)
                    includes = {"users": [self.user_obj(author), self.user_obj(oauthor)],
                                "tweets": [original]}
                else:
                    text, lang = self.text_for(prices_usd[m], prices_krw[m], change)
                    text, lang = self.plant(ms, text, lang)
                    data = {
                        "id": str(tid), "text": text, "created_at": iso_ms(ms),
                        "author_id": author["id"], "lang": lang,
                        "conversation_id": str(tid), "edit_history_tweet_ids": [str(tid)],
                        "possibly_sensitive": False, "entities": entities_of(text, None),
                        "public_metrics": metrics,
                    }
                    includes = {"users": [self.user_obj(author)]}
                    # most tweets are never retweeted; a few heavy-tailed ones go viral
                    virality = author["reach"] * rng.paretovariate(1.6)
                    if virality > 4.0:
                        hot.append([data, author, virality, metrics, m])
                tag = self.planted["surge"]["tag"]
                self.recent.append((ms, "referenced_tweets" not in data,
                                    any(h["tag"].lower() == tag for h in data["entities"].get("hashtags", []))))
                if len(self.recent) > 4096:
                    self.recent = [r for r in self.recent if r[0] >= ms - 3600000]
                yield {"data": data, "includes": includes, "matching_rules": matching_rules(data["text"])}

    @staticmethod
    def user_obj(u):
        return {"id": u["id"], "name": u["name"], "username": u["username"]}

    # -- markets ---------------------------------------------------------
    def price_paths(self, rates):
        """USD price per sub-step (6 per minute), in cents; volatility rises with chatter."""
        rng = self.rng
        steps = 6
        logp = math.log(68_500.00)
        paths = []
        for m in range(self.minutes):
            vol = 0.00045 * math.sqrt(max(rates[m], 0.1) / self.args.rate)
            sub = []
            for _ in range(steps):
                logp += rng.gauss(0.0, vol / math.sqrt(steps))
                sub.append(int(round(math.exp(logp) * 100)))
            paths.append(sub)
        return paths

    def volumes(self, counts, cycles, scale, tweet_weight):
        """Base volume per minute in 1e-8 units: a daily cycle, plus tweets
        LEAD minutes earlier, times noise."""
        rng = self.rng
        lead = self.args.lead
        out = []
        for m in range(self.minutes):
            past = counts[m - lead] if m >= lead else self.args.rate * cycles[m]
            v = scale * (0.6 * cycles[m] + tweet_weight * past / self.args.rate)
            v *= rng.lognormvariate(0.0, 0.25)
            v += rng.uniform(0.0, 0.05) * scale
            out.append(max(1, int(v * 1e8)))
        return out

    @staticmethod
    def split(rng, total, parts):
        w = [rng.random() + 0.05 for _ in range(parts)]
        s = sum(w)
        out = [int(total * x / s) for x in w]
        out[-1] += total - sum(out)
        return out

    def upbit(self, paths, vols):
        """Upbit /v1/candles/minutes/1 objects (newest first, as the API pages)."""
        rng = self.rng
        fx = 1335.0 * 1.018  # KRW per USD with a small local premium
        rows = []
        for m in range(self.minutes):
            ms = self.start_ms + m * 60000
            ticks = [int(round(p / 100.0 * fx / 1000.0)) * 1000 for p in paths[m]]
            parts = self.split(rng, vols[m], len(ticks))
            quote = sum(p * q for p, q in zip(ticks, parts))  # KRW * 1e-8
            rows.append(
                '{"market":"KRW-BTC","candle_date_time_utc":"%s","candle_date_time_kst":"%s",'
                '"opening_price":%s,"high_price":%s,"low_price":%s,"trade_price":%s,'
                '"timestamp":%d,"candle_acc_trade_price":%s,"candle_acc_trade_volume":%s,"unit":1}'
                % (iso_s(ms), iso_s(ms + 9 * 3600 * 1000),
                   dec(ticks[0], 0, 1), dec(max(ticks), 0, 1), dec(min(ticks), 0, 1), dec(ticks[-1], 0, 1),
                   ms + rng.randrange(40000, 60000), dec(quote, 8), dec(vols[m], 8)))
        return rows[::-1]

    def binance(self, paths, vols):
        """Binance /api/v3/klines arrays (oldest first)."""
        rng = self.rng
        rows = []
        for m in range(self.minutes):
            ms = self.start_ms + m * 60000
            ticks = paths[m]  # cents
            parts = self.split(rng, vols[m], len(ticks))
            quote = div_round(sum(p * q for p, q in zip(ticks, parts)), 100)  # USDT * 1e-8
            trades = max(1, int(vols[m] / 1e8 * rng.uniform(40, 60)))
            taker = vols[m] * rng.randint(40, 60) // 100
            taker_quote = div_round(quote * taker, vols[m])
            rows.append('[%d,"%s","%s","%s","%s","%s",%d,"%s",%d,"%s","%s","0"]' % (
                ms, dec_fixed(ticks[0] * 10 ** 6, 8), dec_fixed(max(ticks) * 10 ** 6, 8),
                dec_fixed(min(ticks) * 10 ** 6, 8), dec_fixed(ticks[-1] * 10 ** 6, 8),
                dec_fixed(vols[m], 8), ms + 59999, dec_fixed(quote, 8), trades,
                dec_fixed(taker, 8), dec_fixed(taker_quote, 8)))
        return rows

    def run(self):
        counts, cycles, rates, bursts = self.tweet_counts()
        paths = self.price_paths(rates)
        fx = 1335.0 * 1.018
        usd_close = [p[-1] for p in paths]
        krw_close = [int(round(p / 100.0 * fx / 1000.0)) * 1000 for p in usd_close]
        up_vol = self.volumes(counts, cycles, 4.0, 1.4)
        bn_vol = self.volumes(counts, cycles, 30.0, 1.2)

        out = self.args.out
        for sub in ("x", "upbit", "binance"):
            os.makedirs(os.path.join(out, sub), exist_ok=True)
        n_tweets = n_retweets = 0
        with open(os.path.join(out, "x", "stream.jsonl"), "w", encoding="utf-8", newline="\n") as f:
            for msg in self.tweets(counts, usd_close, krw_close):
                n_tweets += 1
                n_retweets += "referenced_tweets" in msg["data"]
                f.write(json.dumps(msg, ensure_ascii=False, separators=(",", ":")) + "\n")
        with open(os.path.join(out, "upbit", "KRW-BTC.json"), "w", newline="\n") as f:
            f.write("[" + ",".join(self.upbit(paths, up_vol)) + "]\n")
        with open(os.path.join(out, "binance", "BTCUSDT.json"), "w", newline="\n") as f:
            f.write("[" + ",".join(self.binance(paths, bn_vol)) + "]\n")
        end_ms = self.start_ms + self.minutes * 60000
        manifest = {
            "synthetic": True,
            "generator": "demo/generate.py",
            "seed": self.args.seed,
            "from": iso_s(self.start_ms) + "Z",
            "until": iso_s(end_ms) + "Z",
            "minutes": self.minutes,
            "lead_minutes": self.args.lead,
            "mean_tweets_per_minute": self.args.rate,
            "tweets": n_tweets,
            "retweets": n_retweets,
            "bursts": [{"at": iso_s(self.start_ms + t0 * 60000) + "Z", "peak_multiplier": round(1 + a, 2),
                        "decay_minutes": round(tau, 1)} for t0, a, tau in bursts],
            "planted": {k: {"hashtag": p["tag"], "from": iso_s(p["from_ms"]) + "Z", "until": iso_s(p["until_ms"]) + "Z",
                            "original_tweets": p["tweets"], "share_of_originals": round(p["share"] or 0, 3),
                            "first_tweet_at": iso_ms(p["first"]) if p["first"] else None}
                        for k, p in self.planted.items()},
            "rules": RULES,
            "files": {
                "x/stream.jsonl": "X API v2 filtered stream (GET /2/tweets/search/stream), one message a line",
                "upbit/KRW-BTC.json": "Upbit GET /v1/candles/minutes/1?market=KRW-BTC, every minute, newest first",
                "binance/BTCUSDT.json": "Binance GET /api/v3/klines?symbol=BTCUSDT&interval=1m, every minute, oldest first",
            },
        }
        with open(os.path.join(out, "manifest.json"), "w", newline="\n") as f:
            json.dump(manifest, f, indent=2, ensure_ascii=False)
            f.write("\n")
        return manifest


def main(argv=None):
    p = argparse.ArgumentParser(description="Generate Pulse's synthetic sample day (tweets + candles).")
    p.add_argument("--seed", type=int, default=20240311, help="random seed (default 20240311)")
    p.add_argument("--start", default="2024-03-11T00:00:00Z", help="first minute, UTC (default 2024-03-11T00:00:00Z)")
    p.add_argument("--hours", type=float, default=24.0, help="hours to generate (default 24)")
    p.add_argument("--lead", type=int, default=3, help="minutes by which tweets lead volume (default 3)")
    p.add_argument("--rate", type=float, default=8.0, help="mean tweets per minute before cycle and bursts (default 8)")
    p.add_argument("--out", default=".pulse/sample", help="output directory (default .pulse/sample)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if args.lead < 0 or args.rate <= 0:
        p.error("--lead must be >= 0 and --rate > 0")
    manifest = Generator(args).run()
    if not args.quiet:
        print("generated %(tweets)d tweets (%(retweets)d retweets) and %(minutes)d minutes of candles "
              "for %(from)s..%(until)s into " % manifest + args.out, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
