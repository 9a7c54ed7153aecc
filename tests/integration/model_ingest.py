#!/usr/bin/env python3
"""Generative test of the ingestion API against an in-memory model.

A random program (seeded: PULSE_MODEL_SEED, PULSE_MODEL_STEPS) drives a
fresh database (PG* variables) through persistent psql sessions: loaders
that hold their stream's lease as pulse-load does
(pg_try_advisory_lock(hashtextextended('pulse.stream:' || stream, 0)) for
the session's life) write landing rows of a batch (Upbit, Coinone and
Binance candles, X API v2 stream lines and pages: valid records, in-batch
duplicates, old and new versions of earlier keys, 2006-2010 next to today,
the future, impossible dates, high < low, negative volume, off-grid times,
...) and call pulse.apply_batch, then COMMIT, ROLLBACK, or die (the psql
client is SIGKILLed mid-transaction and the loader restarts); retries of an
applied batch id, stale lower batch ids, a session without the lease
(refused with 55P03 while a loader holds it, accepted when nobody does), a
second loader asking for a held lease, pulse.run_maintenance() and
pulse.reapply(). A model written from SPEC/README predicts every
apply_batch result, and every few steps the whole of pulse.candles,
pulse.tweets, pulse.rejects (by reason class), pulse.landing,
pulse.checkpoints and the typed tables' partitions is compared with it.

Python standard library only; psql for the database.
"""
import copy
import datetime as dt
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal

SEED = int(os.environ.get("PULSE_MODEL_SEED") or random.SystemRandom().randrange(1, 2**31))
STEPS = int(os.environ.get("PULSE_MODEL_STEPS") or 150)
CHECK_EVERY = int(os.environ.get("PULSE_MODEL_CHECK_EVERY") or 5)
# The SPEC's "an older observation loaded later never overwrites a newer one"
# for an observation newer than the stored row with the same values (see
# check_versions): reported always, a failure only when strict.
STRICT_VERSIONS = os.environ.get("PULSE_MODEL_STRICT_VERSIONS", "0") == "1"
VERBOSE = os.environ.get("PULSE_MODEL_VERBOSE", "0") == "1"

rng = random.Random(SEED)
US = 1_000_000
MIN_US = 60 * US
TAB = "\t"


def log(*a):
    print(*a, flush=True)


class Failure(Exception):
    pass


# ---------------------------------------------------------------- JSON as jsonb prints it
class Num(str):
    """A JSON number, kept as printed (exact decimals, never a float)."""


def jtext(v):
    """The text PostgreSQL's jsonb output gives for v (keys by length, then bytes)."""
    if isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: (len(kv[0].encode()), kv[0].encode()))
        return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + ": " + jtext(x) for k, x in items) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(jtext(x) for x in v) + "]"
    if isinstance(v, Num):
        return str(v)
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    raise TypeError(type(v))


def jkind(v):
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    if isinstance(v, bool):
        return "boolean"
    if v is None:
        return "null"
    if isinstance(v, (Num, int)):
        return "number"
    return "string"


def jget_text(v):
    """->> of a present value."""
    if v is None:
        return None
    if isinstance(v, str) and not isinstance(v, Num):
        return v
    return jtext(v)


# ---------------------------------------------------------------- time helpers
def us_of(d):
    return int((d - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)).total_seconds()) * US + d.microsecond


def dt_of(us):
    return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=us)


def day_of(us):
    return us - us % (86400 * US)


def iso_utc(us):  # upbit candle_date_time_utc
    return dt_of(us).strftime("%Y-%m-%dT%H:%M:%S")


def x_time(us):  # X created_at
    return dt_of(us).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (us // 1000 % 1000)


def twarc_time(us):
    return dt_of(us).strftime("%Y-%m-%dT%H:%M:%S+00:00")


UPBIT_RE = re.compile(r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$")
DEC_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def parse_upbit_time(s):
    if not isinstance(s, str) or isinstance(s, Num) or not UPBIT_RE.match(s):
        return None
    try:
        return us_of(dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc))
    except ValueError:
        return None


def parse_x_time(s):
    """tweet_time for the spellings this test writes; None when unreadable."""
    if not isinstance(s, str) or isinstance(s, Num):
        return None
    for f in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%S+00:00"):
        try:
            return us_of(dt.datetime.strptime(s, f).replace(tzinfo=dt.timezone.utc))
        except ValueError:
            pass
    return None


def epoch_ms(v):
    """json_epoch_ms, in microseconds: a non-negative integer of ms (number or digit string) < 1e15."""
    if v is None:
        return None
    k = jkind(v)
    if k == "number":
        d = Decimal(str(v))
        if d >= 0 and d < Decimal("1e15") and d == d.to_integral_value():
            return int(d) * 1000
        return None
    if k == "string" and re.match(r"^[0-9]+$", v) and len(v) <= 15:
        return int(v) * 1000
    return None


def num(v):
    """pulse_internal.num: (text as stored, Decimal) or None."""
    if v is None:
        return None
    k = jkind(v)
    if k == "number":
        t = str(v)
    elif k == "string" and DEC_RE.match(v) and len(v) <= 1000:
        t = v
    else:
        return None
    return (t, Decimal(t))


PERIODS = {"1m": 1, "3m": 3, "5m": 5, "10m": 10, "15m": 15, "30m": 30, "1h": 60, "4h": 240}

# ---------------------------------------------------------------- candle model
# reason classes: the model's and the database's (by the reason's words)
CANDLE_CLASSES = [
    ("shape", r"is not a JSON object|is not an array"),
    ("payload", r"landing payload lacks"),
    ("market", r"is for market"),
    ("time", r"missing, malformed or not a date|open or close time malformed|timestamp missing or malformed"),
    ("numeric", r"missing or non-numeric"),
    ("negative", r"negative price or volume"),
    ("high_low", r"has high .* below low"),
    ("outside", r"outside \[low"),
    ("grid", r"not on the .* grid"),
    ("future", r"in the future"),
    ("range", r"outside the range its page was asked for"),
    ("close", r"closes at .* not one period after"),
    ("unit", r"does not match period"),
    ("retention", r"retention"),
]
TWEET_CLASSES = [
    ("item", r"not a twitter_v2 record|error object"),
    ("not_object", r"not a tweet object"),
    ("no_id", r"no usable id"),
    ("bad_created", r"unreadable created_at"),
    ("no_created", r"no created_at and its id is not a snowflake"),
    ("pre_claims_late", r"from before snowflake ids \(2010\) but claims"),
    ("bad_observed", r"has an unreadable __twarc"),
    ("observed_late", r"says it was observed"),
    ("future", r"more than a minute after it was observed"),
    ("note_snowflake", r"but its snowflake id encodes"),
    ("note_pre", r"the first created_at stored for it is"),
]


def classify(reason, fmt):
    for cls, pat in (TWEET_CLASSES if fmt.startswith("twitter") else CANDLE_CLASSES):
        if re.search(pat, reason):
            return cls
    if re.search(r"unknown format", reason):
        return "format"
    return "UNCLASSIFIED: " + reason


def candle_project(fmt, p, now_us):
    """(key, values, observed_us, reject class) of one landing payload."""
    r = p.get("record") if isinstance(p, dict) else None
    market = p.get("market") if isinstance(p, dict) else None
    per = PERIODS.get(p.get("period")) if isinstance(p, dict) else None
    per_us = per * MIN_US if per else None
    shape = None
    rec_problem = None
    time_problem = None
    later = None
    bucket = obs = None
    vals = None
    if fmt == "upbit":
        if jkind(r) != "object":
            shape = "shape"
            r = {}
        rec_market = jget_text(r.get("market"))
        if rec_market is not None and rec_market != market:
            rec_problem = "market"
        bucket = parse_upbit_time(r.get("candle_date_time_utc"))
        if bucket is None:
            time_problem = "time"
        vals = [num(r.get(k)) for k in ("opening_price", "high_price", "low_price", "trade_price",
                                        "candle_acc_trade_volume", "candle_acc_trade_price")]
        obs = epoch_ms(r.get("timestamp"))
        unit = jget_text(r.get("unit"))
        if obs is None:
            later = "time"
        elif unit is not None and per is not None and unit != str(per):
            later = "unit"
        elif unit is not None and per is None:
            later = "unit"
        chk_obs = obs
    elif fmt == "binance":
        if jkind(r) != "array" or len(r) < 8:
            shape = "shape"
            r = [None] * 8
        b = epoch_ms(r[0])
        c = epoch_ms(r[6])
        bucket, close = b, c
        if bucket is None or close is None:
            time_problem = "time"
        seen = epoch_ms(p.get("observed_ms"))
        cap = close + 1000 if close is not None else None
        cands = [x for x in (seen, cap) if x is not None]
        chk_obs = min(cands) if cands else None
        obs = cap if seen is None else (min(seen, cap) if cap is not None else None)
        vals = [num(r[i]) for i in (1, 2, 3, 4, 5, 7)]
        if (close is not None and bucket is not None and per_us is not None
                and close != bucket + per_us - 1000):
            later = "close"
    else:  # coinone
        if jkind(r) != "object":
            shape = "shape"
            r = {}
        b = epoch_ms(r.get("timestamp"))
        bucket = b
        if bucket is None:
            time_problem = "time"
        seen = epoch_ms(p.get("observed_ms"))
        cap = bucket + per_us if (bucket is not None and per_us is not None) else None
        cands = [x for x in (seen, cap) if x is not None]
        chk_obs = min(cands) if cands else None
        obs = cap if seen is None else (min(seen, cap) if cap is not None else None)
        vals = [num(r.get(k)) for k in ("open", "high", "low", "close", "target_volume", "quote_volume")]
    problem = shape
    if problem is None and (market is None or per is None):
        problem = "payload"
    problem = problem or rec_problem or time_problem
    if problem is None:
        if any(v is None for v in vals):
            problem = "numeric"
        else:
            o, h, lo, c, vol, qv = [v[1] for v in vals]
            rf = epoch_ms(p.get("range_from_ms"))
            ru = epoch_ms(p.get("range_until_ms"))
            if min(o, h, lo, c, vol, qv) < 0:
                problem = "negative"
            elif h < lo:
                problem = "high_low"
            elif not (lo <= o <= h) or not (lo <= c <= h):
                problem = "outside"
            elif bucket % per_us != 0:
                problem = "grid"
            elif bucket > now_us + per_us:
                problem = "future"
            elif chk_obs is not None and chk_obs > now_us + per_us:
                problem = "future"
            elif (rf is not None and bucket < rf) or (ru is not None and bucket >= ru):
                problem = "range"
    problem = problem or later
    key = (fmt, market, per, bucket)
    return key, (tuple(v[0] for v in vals) if problem is None else None), obs, problem


# ---------------------------------------------------------------- tweet model
SNOW_MIN = 86400000 << 22
X_EPOCH_MS = 1288834974657


def snow_us(tid):
    if tid >= SNOW_MIN:
        return ((tid >> 22) + X_EPOCH_MS) // 1000 * US
    return None


SNOW_MIN_US = snow_us(SNOW_MIN)
TWEET_FIELDS = ("author_id", "text", "lang", "hashtags", "cashtags", "mentions", "is_retweet", "retweeted_id",
                "retweet_count", "like_count", "reply_count", "quote_count", "matched_rules")


def tags(ent, key, field, strip):
    out = []
    for e in ent.get(key, []) if isinstance(ent.get(key), list) else []:
        if isinstance(e, dict) and isinstance(e.get(field), str):
            t = e[field].lstrip(strip).lower()
            if t and t not in out:
                out.append(t)
    return out


def tweet_items(p):
    """(ord, tweet, rules, item problem) as twitter_v2_items gives them."""
    if jkind(p) != "object":
        return [(0, None, None, "item")]
    out = []
    if jkind(p.get("data")) == "object":
        out.append((0, p["data"], p.get("matching_rules"), None))
    if jkind(p.get("data")) == "array":
        for i, e in enumerate(p["data"], 1):
            out.append((i, e, p.get("matching_rules"), None))
    if "data" not in p and "id" in p:
        out.append((0, p, p.get("matching_rules"), None))
    if "data" in p and jkind(p.get("data")) not in ("object", "array"):
        out.append((0, None, None, "item"))
    elif not ("data" in p or "id" in p) and ("errors" in p or "meta" not in p):
        out.append((0, None, None, "item"))
    return out


def tweet_stage(seq, p, received_us):
    """Staged observations of one landing record: dicts with problem/note."""
    staged = []
    for ord_, t, rules, item_problem in tweet_items(p):
        raw = t if t is not None else p
        s = {"seq": seq, "ord": ord_, "raw": jtext(raw), "problem": None, "note": None}
        if item_problem:
            s["problem"] = item_problem
            staged.append(s)
            continue
        if jkind(t) != "object":
            s["problem"] = "not_object"
            staged.append(s)
            continue
        tid = None
        v = t.get("id")
        if isinstance(v, str) and re.match(r"^[0-9]{1,19}$", v) and int(v) < 2**63:
            tid = int(v)
        elif isinstance(v, int) and not isinstance(v, bool):
            tid = v
        pay_time = parse_x_time(t["created_at"]) if "created_at" in t else None
        id_time = snow_us(tid) if tid is not None else None
        created = id_time if id_time is not None else pay_time
        stated = (t.get("__twarc") or {}).get("retrieved_at") if isinstance(t.get("__twarc"), dict) else None
        if stated is None and isinstance(p.get("__twarc"), dict):
            stated = p["__twarc"].get("retrieved_at")
        observed = parse_x_time(stated) if jkind(stated) == "string" else None
        if tid is None:
            s["problem"] = "no_id"
        elif "created_at" in t and pay_time is None:
            s["problem"] = "bad_created"
        elif created is None:
            s["problem"] = "no_created"
        elif tid < SNOW_MIN and created >= SNOW_MIN_US:
            s["problem"] = "pre_claims_late"
        elif stated is not None and observed is None:
            s["problem"] = "bad_observed"
        elif observed is not None and observed > received_us + MIN_US:
            s["problem"] = "observed_late"
        elif created > (observed if observed is not None else received_us) + MIN_US:
            s["problem"] = "future"
        if s["problem"]:
            staged.append(s)
            continue
        if id_time is not None and pay_time is not None and abs(pay_time - id_time) > US:
            s["note"] = "note_snowflake"
        ents = t.get("entities") if jkind(t.get("entities")) == "object" else None
        refs = t.get("referenced_tweets")
        rt = None
        if isinstance(refs, list):
            for x in refs:
                if isinstance(x, dict) and x.get("type") == "retweeted":
                    rt = int(x["id"])
                    break
        pm = t.get("public_metrics") if isinstance(t.get("public_metrics"), dict) else {}
        s.update({
            "id": tid, "created": created, "observed": observed if observed is not None else received_us,
            "author_id": int(t["author_id"]) if "author_id" in t else None,
            "text": t.get("text"), "lang": t.get("lang"),
            "hashtags": tags(ents, "hashtags", "tag", "#") if ents is not None else None,
            "cashtags": tags(ents, "cashtags", "tag", "$") if ents is not None else None,
            "mentions": tags(ents, "mentions", "username", "@") if ents is not None else None,
            "is_retweet": (rt is not None) if "referenced_tweets" in t else None,
            "retweeted_id": rt,
            "retweet_count": pm.get("retweet_count"), "like_count": pm.get("like_count"),
            "reply_count": pm.get("reply_count"), "quote_count": pm.get("quote_count"),
            "matched_rules": sorted({(r.get("tag") or r.get("id")) for r in rules
                                     if isinstance(r, dict) and (r.get("tag") or r.get("id"))})
            if isinstance(rules, list) else None,
        })
        staged.append(s)
    return staged


def apply_tweets(state, stream, batch_id, records, received_us, rejects_out):
    staged = []
    for seq, fmt, p in records:
        staged.extend(tweet_stage(seq, p, received_us))
    for s in staged:
        if s["problem"]:
            rejects_out.append((stream, batch_id, s["raw"], s["problem"], True))
    good = [s for s in staged if not s["problem"]]
    # ids from before snowflakes: the first stored created_at, else the batch's first record's
    first = {}
    for s in sorted(good, key=lambda s: (s["seq"], s["ord"])):
        if s["id"] < SNOW_MIN and s["id"] not in first:
            stored = state["tweets"].get(s["id"])
            first[s["id"]] = stored["created"] if stored else s["created"]
    for s in good:
        if s["id"] in first and s["created"] != first[s["id"]]:
            s["note"] = "note_pre" if abs(s["created"] - first[s["id"]]) > US else None
            s["created"] = first[s["id"]]
    for s in sorted(good, key=lambda s: (s["seq"], s["ord"])):
        if s["note"]:
            rejects_out.append((stream, batch_id, s["raw"], s["note"], False))
    order = lambda s: (s["observed"], s["seq"], s["ord"])
    by_id = {}
    for s in good:
        by_id.setdefault(s["id"], []).append(s)
    ins = upd = unch = 0
    for tid, obs in sorted(by_id.items()):
        obs.sort(key=order, reverse=True)
        newest = obs[0]
        d = {f: newest[f] for f in TWEET_FIELDS}
        for f in ("hashtags", "cashtags", "mentions", "matched_rules"):
            if d[f] is None:
                d[f] = []
        if d["is_retweet"] is None:
            d["is_retweet"] = False
        if len(obs) > 1:
            for f in ("author_id", "text", "lang", "retweet_count", "like_count", "reply_count", "quote_count",
                      "hashtags", "cashtags", "mentions"):
                have = [o[f] for o in obs if o[f] is not None]
                if have:
                    d[f] = have[0]
            rts = [o for o in obs if o["is_retweet"] is not None]
            if rts:
                d["is_retweet"], d["retweeted_id"] = rts[0]["is_retweet"], rts[0]["retweeted_id"]
            d["matched_rules"] = sorted({r for o in obs for r in (o["matched_rules"] or [])})
        d["observed"] = newest["observed"]
        d["created"] = newest["created"]
        t = state["tweets"].get(tid)
        if t is not None and t["created"] == d["created"] and t["observed"] <= d["observed"]:
            for f in ("author_id", "text", "lang", "retweet_count", "like_count", "reply_count", "quote_count"):
                if d[f] is None:
                    d[f] = t[f]
            for f in ("hashtags", "cashtags", "mentions"):
                if not any(o[f] is not None for o in obs):
                    d[f] = t[f]
            if not any(o["is_retweet"] is not None for o in obs):
                d["is_retweet"], d["retweeted_id"] = t["is_retweet"], t["retweeted_id"]
            d["matched_rules"] = sorted(set(d["matched_rules"]) | set(t["matched_rules"]))
            if all(d[f] == t[f] for f in TWEET_FIELDS):
                d["observed"] = t["observed"]
        # the SPEC's version order, kept apart (see check_versions)
        best = state["tweet_best"].get(tid)
        if best is None or newest["observed"] >= best[0]:
            state["tweet_best"][tid] = (newest["observed"], {f: d[f] for f in TWEET_FIELDS})
        if t is None:
            state["tweets"][tid] = d
            ins += 1
        elif t["observed"] <= d["observed"] and any(d[f] != t[f] for f in TWEET_FIELDS + ("observed",)):
            state["tweets"][tid] = d
            upd += 1
        else:
            unch += 1
    return ins, upd, unch


def apply_candles(state, stream, batch_id, fmt, records, now_us, rejects_out):
    good = {}
    for seq, f, p in records:
        key, vals, obs, problem = candle_project(fmt, p, now_us)
        if problem:
            rejects_out.append((stream, batch_id, jtext(p), problem, True))
            continue
        cur = good.get(key)
        if cur is None or (obs, seq) > (cur[1], cur[2]):
            good[key] = (vals, obs, seq)
    ins = upd = unch = 0
    for key, (vals, obs, seq) in good.items():
        c = state["candles"].get(key)
        best = state["candle_best"].get(key)
        if best is None or obs >= best[0]:
            state["candle_best"][key] = (obs, vals)
        if c is None:
            state["candles"][key] = (vals, obs)
            ins += 1
        elif obs >= c[1] and vals != c[0]:
            state["candles"][key] = (vals, obs)
            upd += 1
        else:
            unch += 1
    return ins, upd, unch


def apply_landing(state, stream, batch_id, records, received_us, now_us):
    """apply_landing_batch: each format in name order; returns counts and new rejects."""
    rej = []
    tot = [0, 0, 0]
    for fmt in sorted({f for _, f, _ in records}):
        recs = [r for r in records if r[1] == fmt]
        if fmt.startswith("twitter"):
            c = apply_tweets(state, stream, batch_id, recs, received_us, rej)
        else:
            c = apply_candles(state, stream, batch_id, fmt, recs, now_us, rej)
        tot = [a + b for a, b in zip(tot, c)]
    return tot + [sum(1 for r in rej if r[4])], [r[:4] for r in rej]


# ---------------------------------------------------------------- psql sessions
class Session:
    """A persistent psql: one statement at a time, its rows and SQLSTATE."""
    n = 0

    def __init__(self, name):
        Session.n += 1
        self.name = name
        self.marker = "__model_end_%d__" % Session.n
        self.p = subprocess.Popen(
            ["psql", "-X", "-q", "-A", "-t", "-F", TAB, "-v", "ON_ERROR_STOP=0", "-v", "VERBOSITY=terse",
             "-P", "null=\\N"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
            env=dict(os.environ, PGAPPNAME="model-" + name))
        self.run("SET client_min_messages = warning")
        self.run("SET TimeZone = 'UTC'")
        self.pid = int(self.one("SELECT pg_backend_pid()"))

    def run(self, sql):
        self.p.stdin.write(sql.rstrip().rstrip(";") + ";\n\\echo " + self.marker + " :SQLSTATE\n")
        self.p.stdin.flush()
        rows, errs = [], []
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise Failure("psql session %s ended unexpectedly (%s)" % (self.name, errs))
            line = line.rstrip("\n")
            if line.startswith(self.marker):
                state = line.split(" ", 1)[1] if " " in line else ""
                return rows, state, errs
            if line.startswith("psql:") or line.startswith("ERROR:") or line.startswith("WARNING:"):
                errs.append(line)
            else:
                rows.append(line.split(TAB))

    def ok(self, sql):
        rows, st, errs = self.run(sql)
        if st != "00000":
            raise Failure("%s: %s failed (%s): %s" % (self.name, sql[:200], st, errs))
        return rows

    def one(self, sql):
        return self.ok(sql)[0][0]

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        self.p.wait()


def lease_key(stream):
    return "hashtextextended('pulse.stream:' || %s, 0)" % sql_lit(stream)


def sql_lit(s):
    return "'" + s.replace("'", "''") + "'"


# ---------------------------------------------------------------- generators
class Gen:
    def __init__(self, now_us):
        self.now = now_us
        cur = now_us - now_us % MIN_US
        # candle minutes: today (closed and the open one), 2006-2010, 2021
        self.minutes = ([cur - k * MIN_US for k in range(0, 6)] +
                        [us_of(dt.datetime(2006, 3, 21, 20, 50, tzinfo=dt.timezone.utc)) + k * MIN_US for k in range(3)] +
                        [us_of(dt.datetime(2010, 11, 4, 23, 58, tzinfo=dt.timezone.utc)) + k * MIN_US for k in range(3)] +
                        [us_of(dt.datetime(2021, 6, 24, 18, 32, tzinfo=dt.timezone.utc)) + k * MIN_US for k in range(3)])
        self.tweet_ids = []
        for k in range(8):  # recent snowflakes (last two days)
            t_ms = (now_us - rng.randrange(2 * 60, 40 * 3600) * US) // 1000
            self.tweet_ids.append(((t_ms - X_EPOCH_MS) << 22) | rng.randrange(0, 1 << 22))
        for y in (2021, 2023):
            t_ms = us_of(dt.datetime(y, 4, 1, 12, 0, 7, tzinfo=dt.timezone.utc)) // 1000 + rng.randrange(0, 86400000)
            self.tweet_ids.append(((t_ms - X_EPOCH_MS) << 22) | rng.randrange(0, 1 << 22))
        # ids from before snowflakes with the created_at of their era
        self.pre = {20: us_of(dt.datetime(2006, 3, 21, 20, 50, 14, tzinfo=dt.timezone.utc)),
                    21: us_of(dt.datetime(2006, 3, 21, 20, 51, 43, tzinfo=dt.timezone.utc)),
                    5000000000: us_of(dt.datetime(2009, 11, 1, 8, 0, 0, tzinfo=dt.timezone.utc)),
                    362387865599999: us_of(dt.datetime(2010, 11, 4, 12, 0, 0, tzinfo=dt.timezone.utc))}
        self.tweet_ids += list(self.pre)
        self.last = {}

    # -- candles
    def values(self, key, variant):
        base = 30000 + sum(str(key).encode()) % 5000
        o = Decimal(base) + Decimal(variant) / 4
        h = o + Decimal(5 + variant)
        lo = o - Decimal(3)
        c = lo + Decimal(2) + Decimal(variant) / 8
        vol = Decimal(variant + 1) / 3
        vol = vol.quantize(Decimal("0.00000001"))
        qv = (vol * c).quantize(Decimal("0.0001"))
        return [o, h, lo, c, vol, qv]

    def candle(self, fmt, market, defect=None):
        bucket = rng.choice(self.minutes)
        variant = rng.randrange(3)
        o, h, lo, c, vol, qv = self.values((market, bucket), variant)
        if defect == "high_low":
            h, lo = lo, h
            o = c = (h + lo) / 2
        elif defect == "negative":
            vol = -vol
        elif defect == "outside":
            o = h + 1
        elif defect == "future":
            bucket = self.now - self.now % MIN_US + rng.choice([3 * 3600, 40 * 3600, 400 * 86400]) * US
        elif defect == "grid":
            bucket += 30 * US
        p = {"market": market, "period": "1m"}
        if fmt == "upbit":
            ts = (bucket + rng.choice([5, 20, 40, 59]) * US + rng.randrange(1000) * 1000) // 1000
            if ts * 1000 > self.now and defect != "future":
                ts = self.now // 1000 - 1000
            utc = iso_utc(bucket)
            if defect == "date":
                utc = rng.choice(["2020-02-30T20:55:00", "2021-02-29T00:00:00", "2023-04-31T12:00:00"])
            rec = {"market": market, "candle_date_time_utc": utc,
                   "candle_date_time_kst": iso_utc(bucket + 9 * 3600 * US) if defect != "date" else utc,
                   "opening_price": Num(str(o)), "high_price": Num(str(h)), "low_price": Num(str(lo)),
                   "trade_price": Num(str(c)), "timestamp": ts, "candle_acc_trade_price": Num(str(qv)),
                   "candle_acc_trade_volume": Num(str(vol)), "unit": 1}
            if defect == "numeric":
                rec["trade_price"] = "n/a"
            if defect == "shape":
                rec = "upbit said no"
            p["record"] = rec
            if defect == "range" or rng.random() < 0.2:
                lo_ms = (bucket // 1000) - 30 * 60000
                if defect == "range":
                    p["range_from_ms"], p["range_until_ms"] = (bucket // 1000) + 60000, (bucket // 1000) + 3600000
                else:
                    p["range_from_ms"], p["range_until_ms"] = lo_ms, (bucket // 1000) + 60000
        elif fmt == "binance":
            b_ms = bucket // 1000
            close = b_ms + 59999 if defect != "close" else b_ms + 60000
            rec = [b_ms, "%s" % o, "%s" % h, "%s" % lo, "%s" % c, "%s" % vol, close, "%s" % qv,
                   rng.randrange(1, 90), "0", "0", "0"]
            if defect == "time":
                rec[0] = -1
            if defect == "shape":
                rec = rec[:5]
            p["record"] = rec
            if rng.random() < 0.8:
                p["observed_ms"] = b_ms + rng.choice([10000, 30000, 59000, 65000, 3600000])
                if p["observed_ms"] * 1000 > self.now and defect != "future":
                    p["observed_ms"] = self.now // 1000 - 500
        else:  # coinone
            rec = {"timestamp": bucket // 1000, "open": "%s" % o, "high": "%s" % h, "low": "%s" % lo,
                   "close": "%s" % c, "target_volume": "%s" % vol, "quote_volume": "%s" % qv}
            if defect == "numeric":
                rec["open"] = "1e3"
            if defect == "shape":
                rec = ["coinone", "said", "no"]
            p["record"] = rec
            if rng.random() < 0.7:
                p["observed_ms"] = bucket // 1000 + rng.choice([15000, 45000, 70000])
                if p["observed_ms"] * 1000 > self.now and defect != "future":
                    p["observed_ms"] = self.now // 1000 - 500
        return p

    DEFECTS = {"upbit": ["date", "high_low", "negative", "outside", "grid", "future", "range", "numeric", "shape"],
               "binance": ["high_low", "negative", "close", "future", "grid", "time", "shape"],
               "coinone": ["numeric", "negative", "outside", "future", "grid", "shape"]}

    def candle_batch(self, fmts):
        recs = []
        for _ in range(rng.randrange(1, 9)):
            fmt = rng.choice(fmts)
            market = {"upbit": "KRW-BTC", "binance": "BTCUSDT", "coinone": "KRW-BTC"}[fmt]
            defect = rng.choice(self.DEFECTS[fmt]) if rng.random() < 0.25 else None
            recs.append((fmt, self.candle(fmt, market, defect)))
            if rng.random() < 0.2:  # the same record twice in a batch
                recs.append(copy.deepcopy(recs[-1]))
        return recs

    # -- tweets
    def tweet(self, tid, defect=None):
        if defect is None and tid in self.last and rng.random() < 0.3:
            # the same tweet observed again with the same values, at another time
            t = copy.deepcopy(self.last[tid])
            t.pop("__twarc", None)
            if rng.random() < 0.6:
                t["__twarc"] = {"retrieved_at": twarc_time(self.now - rng.choice([3 * 3600, 30 * 3600, 600, 1200]) * US)}
            return t
        t = self.tweet_fresh(tid, defect)
        if defect is None:
            self.last[tid] = t
        return t

    def tweet_fresh(self, tid, defect=None):
        t = {"id": str(tid), "text": rng.choice(["gm", "gm #Bitcoin", "BTC to the moon $BTC", "RT @satoshi: hodl"])}
        if tid in self.pre:
            claim = self.pre[tid] + rng.choice([0, 0, 0, 3 * 86400 * US])
        else:
            claim = snow_us(tid) + rng.choice([0, 0, 0, 0, 500000, 2 * US, -86400 * US])
        sparse = rng.random() < 0.2
        if not sparse or tid in self.pre:
            t["created_at"] = x_time(claim)
        if not sparse:
            t["author_id"] = str(rng.choice([12, 783214, 1500000000000000000]))
            t["lang"] = rng.choice(["en", "ko"])
            t["public_metrics"] = {"retweet_count": rng.randrange(3), "like_count": rng.choice([0, 5, 100]),
                                   "reply_count": 0, "quote_count": rng.randrange(2)}
            if rng.random() < 0.6:
                t["entities"] = {"hashtags": [{"tag": x} for x in rng.sample(["Bitcoin", "bitcoin", "BTC", "crypto"], rng.randrange(0, 3))],
                                 "cashtags": [{"tag": "BTC"}] if rng.random() < 0.5 else [],
                                 "mentions": [{"username": "Satoshi"}] if rng.random() < 0.3 else []}
            if rng.random() < 0.3:
                t["referenced_tweets"] = [{"type": rng.choice(["retweeted", "replied_to"]), "id": "1445078208190291968"}]
        if rng.random() < 0.35:
            # an archive's retrieval time: hours ago (older than the live observations), or minutes
            t["__twarc"] = {"retrieved_at": twarc_time(self.now - rng.choice([3 * 3600, 30 * 3600, 600, 7 * 86400]) * US)}
        if defect == "bad_created":
            t["created_at"] = rng.choice(["2021-02-30T00:00:00.000Z", "2023-13-01T00:00:00.000Z"])
        elif defect == "bad_observed":
            t["__twarc"] = {"retrieved_at": "yesterday"}
        elif defect == "observed_late":
            t["__twarc"] = {"retrieved_at": twarc_time(self.now + 3600 * US)}
        elif defect == "pre_claims_late":
            t["id"] = str(rng.choice(list(self.pre)))
            t["created_at"] = "2023-05-05T00:00:00.000Z"
            t.pop("__twarc", None)
        elif defect == "no_created":
            t = {"id": str(rng.choice(list(self.pre))), "text": "an old id without created_at"}
        return t

    def future_tweet(self):
        t_ms = (self.now + rng.choice([3600, 86400]) * US) // 1000
        tid = ((t_ms - X_EPOCH_MS) << 22) | rng.randrange(1 << 22)
        return {"id": str(tid), "text": "from the future", "created_at": x_time(snow_us(tid))}

    def tweet_batch(self):
        recs = []
        for _ in range(rng.randrange(1, 7)):
            r = rng.random()
            defect = None
            if r < 0.2:
                defect = rng.choice(["bad_created", "bad_observed", "observed_late", "pre_claims_late", "no_created",
                                     "future", "data_string"])
            if defect == "data_string":
                recs.append(("twitter_v2", {"data": "not a tweet"}))
                continue
            if rng.random() < 0.6:  # a stream line
                t = self.future_tweet() if defect == "future" else self.tweet(rng.choice(self.tweet_ids), defect)
                line = {"data": t, "matching_rules": [{"id": str(1000 + k), "tag": tg} for k, tg in
                                                      enumerate(rng.sample(["bitcoin", "btc", "crypto"], rng.randrange(1, 3)))]}
                recs.append(("twitter_v2", line))
            else:  # a search page
                ts = [self.tweet(rng.choice(self.tweet_ids)) for _ in range(rng.randrange(1, 4))]
                if defect:
                    ts.append(self.future_tweet() if defect == "future" else self.tweet(rng.choice(self.tweet_ids), defect))
                page = {"data": ts, "meta": {"result_count": len(ts)}}
                if rng.random() < 0.3:
                    page["__twarc"] = {"retrieved_at": twarc_time(self.now - rng.choice([2 * 3600, 600]) * US)}
                recs.append(("twitter_v2", page))
            if rng.random() < 0.15:
                recs.append(copy.deepcopy(recs[-1]))
        return recs


# ---------------------------------------------------------------- the test
class Model:
    def __init__(self):
        self.s = {"candles": {}, "tweets": {}, "candle_best": {}, "tweet_best": {}}
        self.rejects = Counter()
        self.landing = Counter()
        self.checkpoints = {}
        self.batches = []  # committed applied batches: (stream, batch_id, received_us, now_us, records)
        self.maintained_days = set()


STREAMS = {"model-a": ["upbit", "coinone"], "model-b": ["binance", "upbit"], "model-tw": None}


class Runner:
    def __init__(self):
        self.m = Model()
        self.admin = Session("admin")
        self.admin.ok("SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 hour', now() + interval '1 day')")
        self.now = int(self.admin.one("SELECT (extract(epoch FROM now()) * 1000000)::bigint"))
        self.gen = Gen(self.now)
        self.loaders = {}
        self.intruder = Session("intruder")
        for st in STREAMS:
            self.start_loader(st)
        self.stats = Counter()

    def start_loader(self, stream, wait=True):
        s = Session("loader-" + stream)
        if wait:  # a restart after a crash: the dead backend lets go of the lease
            s.ok("SET lock_timeout = '30s'")
            s.ok("SELECT pg_advisory_lock(%s)" % lease_key(stream))
        self.loaders[stream] = s

    def records_for(self, stream):
        fmts = STREAMS[stream]
        recs = self.gen.tweet_batch() if fmts is None else self.gen.candle_batch(fmts)
        return [(i + 1, f, p) for i, (f, p) in enumerate(recs)]

    def land(self, sess, stream, batch_id, records):
        if not records:
            return
        vals = ",\n".join("(%s, %s, %d, %d, $p$%s$p$)" % (sql_lit(stream), sql_lit(f), batch_id, seq, jtext(p))
                          for seq, f, p in records)
        sess.ok("INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES " + vals)

    def batch(self, sess, stream, batch_id, records, end, expect_refused=False):
        """One batch transaction in `sess`; returns the model's prediction checked against the database."""
        m = self.m
        sess.ok("BEGIN")
        received = int(sess.one("SELECT (extract(epoch FROM now()) * 1000000)::bigint"))
        self.land(sess, stream, batch_id, records)
        pos = {"cursor": batch_id, "records": len(records)}
        rows, st, errs = sess.run("SELECT * FROM pulse.apply_batch(%s, %d, $c$%s$c$)" % (sql_lit(stream), batch_id, jtext(pos)))
        if expect_refused:
            if st != "55P03":
                raise Failure("apply_batch of %s by a session without its lease: SQLSTATE %s, expected 55P03 (%s)" % (stream, st, errs))
            sess.ok("ROLLBACK")
            self.stats["refused"] += 1
            return
        if st != "00000":
            raise Failure("apply_batch(%s, %d) failed: %s %s" % (stream, batch_id, st, errs))
        got = [int(x) for x in rows[0]]
        ckpt = m.checkpoints.get(stream, (0, None))[0]
        new_state = copy.deepcopy(m.s)
        if batch_id <= ckpt:
            want, rej = [0, 0, 0, 0], []
        else:
            want, rej = apply_landing(new_state, stream, batch_id, records, received, received)
        if got != want:
            raise Failure("apply_batch(%s, %d) returned (inserted, updated, unchanged, rejected) = %s, model says %s"
                          % (stream, batch_id, got, want))
        if end == "commit":
            sess.ok("COMMIT")
            if batch_id > ckpt:
                m.s = new_state
                m.rejects.update(rej)
                for seq, f, p in records:
                    m.landing[(stream, batch_id, seq, f, jtext(p))] += 1
                m.checkpoints[stream] = (batch_id, jtext(pos))
                m.batches.append((stream, batch_id, received, records))
                self.stats["applied"] += 1
            else:
                self.stats["noop"] += 1
        elif end == "rollback":
            sess.ok("ROLLBACK")
            self.stats["rollback"] += 1
        else:  # the loader dies before COMMIT
            sess.kill()
            self.stats["crash"] += 1
            self.start_loader(stream)

    def step(self, i):
        m = self.m
        r = rng.random()
        stream = rng.choice(list(STREAMS))
        ckpt = m.checkpoints.get(stream, (0, None))[0]
        sess = self.loaders[stream]
        if r < 0.55:
            end = rng.choices(["commit", "rollback", "crash"], [80, 8, 12])[0]
            what = "batch %d (%s)" % (ckpt + 1, end)
            self.batch(sess, stream, ckpt + 1, self.records_for(stream), end)
        elif r < 0.65 and ckpt > 0:
            # a retry after a commit the loader did not see: the same batch again
            old = [b for b in m.batches if b[0] == stream and b[1] == ckpt]
            recs = old[-1][3] if old and rng.random() < 0.7 else self.records_for(stream)
            what = "retry of batch %d" % ckpt
            self.batch(sess, stream, ckpt, recs, "commit")
        elif r < 0.70 and ckpt > 1:
            b = rng.randrange(1, ckpt)
            what = "stale batch %d" % b
            self.batch(sess, stream, b, self.records_for(stream), "commit")
        elif r < 0.78:
            what = "batch %d by a session without the lease" % (ckpt + 1)
            self.batch(self.intruder, stream, ckpt + 1, self.records_for(stream), "commit", expect_refused=True)
        elif r < 0.83:
            # a second loader asks for the lease: refused while the first holds it
            what = "second loader"
            got = self.intruder.one("SELECT pg_try_advisory_lock(%s)" % lease_key(stream))
            if got != "f":
                raise Failure("a second session got the lease of %s while its loader holds it" % stream)
            self.stats["lease_refused"] += 1
        elif r < 0.87:
            # the loader stops; a hand-made batch of a stream nobody loads is accepted; it starts again
            what = "loader stopped; batch %d by another session" % (ckpt + 1)
            sess.close()
            del self.loaders[stream]
            free = Session("free-" + stream)
            free.ok("SET lock_timeout = '30s'")
            free.ok("SELECT pg_advisory_xact_lock(%s)" % lease_key(stream))  # waits for the old backend to let go
            self.batch(free, stream, ckpt + 1, self.records_for(stream), "commit")
            free.close()
            self.start_loader(stream, wait=False)
            got = self.loaders[stream].one("SELECT pg_try_advisory_lock(%s)" % lease_key(stream))
            if got != "t":
                raise Failure("the restarted loader of %s did not get its free lease" % stream)
        elif r < 0.92:
            what = "run_maintenance"
            self.admin.ok("SELECT count(*) FROM pulse.run_maintenance()")
            now = int(self.admin.one("SELECT (extract(epoch FROM now()) * 1000000)::bigint"))
            for k in range(4):
                m.maintained_days.add(day_of(now) + k * 86400 * US)
            self.stats["maintenance"] += 1
        else:
            what = self.reapply(stream)
        if VERBOSE:
            log("step %d: %s %s" % (i, stream, what))

    def reapply(self, stream):
        m = self.m
        mine = [b for b in m.batches if b[0] == stream]
        times = sorted({b[2] for b in mine})
        lo_us, hi_us = None, None
        if times and rng.random() < 0.6:
            lo_us = rng.choice(times)
            later = [t for t in times if t > lo_us]
            if later and rng.random() < 0.6:
                hi_us = rng.choice(later)
        ts = lambda us, inf: inf if us is None else "'epoch'::timestamptz + %d * interval '1 microsecond'" % us
        lo_sql, hi_sql = ts(lo_us, "'-infinity'"), ts(hi_us, "'infinity'")
        rows = self.admin.ok("SELECT * FROM pulse.reapply(%s, %s, %s)" % (sql_lit(stream), lo_sql, hi_sql))
        now = int(self.admin.one("SELECT (extract(epoch FROM now()) * 1000000)::bigint"))
        todo = sorted({b[1] for b in mine if (lo_us is None or b[2] >= lo_us) and (hi_us is None or b[2] < hi_us)})
        tot = [0, 0, 0, 0]
        for bid in todo:
            recs = [b for b in mine if b[1] == bid][0]
            c, rej = apply_landing(m.s, stream, bid, recs[3], recs[2], now)
            tot = [a + b for a, b in zip(tot, c)]
            # a record rejected again for the same reason is already in pulse.rejects
            for x, n in Counter(rej).items():
                if m.rejects[x] == 0:
                    m.rejects[x] += n
        got = [int(x) for x in rows[0]]
        want = [len(todo)] + tot
        if got != want:
            raise Failure("reapply(%s) returned %s, model says %s" % (stream, got, want))
        self.stats["reapply"] += 1
        return "reapply of %d batches" % len(todo)

    # -- comparison
    def check(self, where):
        m = self.m
        errs = []

        def diff(name, want, got, show=6):
            w, g = Counter(want), Counter(got)
            if w == g:
                return
            missing = list((w - g).elements())
            extra = list((g - w).elements())
            errs.append("%s: %d expected rows missing, %d unexpected rows\n  missing: %s\n  unexpected: %s"
                        % (name, len(missing), len(extra), sorted(missing, key=str)[:show], sorted(extra, key=str)[:show]))

        q = self.admin.ok
        got = q("SELECT exchange, market, (extract(epoch FROM period) / 60)::int, (extract(epoch FROM bucket_start) * 1000000)::bigint,"
                " open, high, low, close, volume, quote_volume, (extract(epoch FROM observed_at) * 1000000)::bigint FROM pulse.candles")
        want = [(k[0], k[1], str(k[2]), str(k[3])) + v[0] + (str(v[1]),) for k, v in m.s["candles"].items()]
        diff("pulse.candles", want, [tuple(r) for r in got])

        def arr(a):
            return "{" + ",".join(a) + "}"

        def nz(v):
            return "\\N" if v is None else str(v)

        got = q("SELECT id, (extract(epoch FROM created_at) * 1000000)::bigint, author_id, text, lang, hashtags, cashtags, mentions,"
                " is_retweet, retweeted_id, retweet_count, like_count, reply_count, quote_count, matched_rules,"
                " (extract(epoch FROM observed_at) * 1000000)::bigint FROM pulse.tweets")
        want = [(str(i), str(t["created"]), nz(t["author_id"]), nz(t["text"]), nz(t["lang"]), arr(t["hashtags"]),
                 arr(t["cashtags"]), arr(t["mentions"]), "t" if t["is_retweet"] else "f", nz(t["retweeted_id"]),
                 nz(t["retweet_count"]), nz(t["like_count"]), nz(t["reply_count"]), nz(t["quote_count"]),
                 arr(t["matched_rules"]), str(t["observed"])) for i, t in m.s["tweets"].items()]
        diff("pulse.tweets", want, [tuple(r) for r in got])

        got = q("SELECT stream, batch_id, format, convert_from(raw, 'UTF8'), reason FROM pulse.rejects")
        diff("pulse.rejects (stream, batch, record, reason class)",
             list(m.rejects.elements()),
             [(r[0], int(r[1]), r[3], classify(r[4], r[2])) for r in got])

        got = q("SELECT stream, batch_id, seq, format, payload::text FROM pulse.landing")
        diff("pulse.landing", list(m.landing.elements()), [(r[0], int(r[1]), int(r[2]), r[3], r[4]) for r in got])

        got = q("SELECT stream, batch_id, position::text FROM pulse.checkpoints")
        diff("pulse.checkpoints", [(s, str(b), p) for s, (b, p) in m.checkpoints.items()], [tuple(r) for r in got])

        got = q("SELECT parent::text, (extract(epoch FROM lower(range)) * 1000000)::bigint, (extract(epoch FROM upper(range)) * 1000000)::bigint"
                " FROM pulse.partitions WHERE parent IN ('pulse.candles'::regclass, 'pulse.tweets'::regclass)")
        days = {("pulse.candles", day_of(k[3])) for k in m.s["candles"]} | {("pulse.tweets", day_of(t["created"])) for t in m.s["tweets"].values()}
        got_days = set()
        for parent, lo, hi in got:
            lo, hi = int(lo), int(hi)
            if hi - lo != 86400 * US or lo % (86400 * US):
                errs.append("partition of %s for [%s, %s) is not one UTC day" % (parent, dt_of(lo), dt_of(hi)))
            got_days.add((parent, lo))
        premade = {(t, d) for t in ("pulse.candles", "pulse.tweets") for d in m.maintained_days}
        if not days <= got_days:
            errs.append("no partition for days with rows: %s" % sorted(dt_of(d).date().isoformat() + " " + t for t, d in days - got_days))
        empty = got_days - days - premade
        if empty:
            errs.append("partitions for days without rows (not premade by maintenance): %s"
                        % sorted(t + " " + dt_of(d).date().isoformat() for t, d in empty))
        if errs:
            raise Failure("database and model disagree after %s:\n" % where + "\n".join(errs))
        self.check_versions(where)

    def check_versions(self, where):
        """SPEC: the greatest version observed wins (an older observation loaded later
        never overwrites a newer one). The model above follows what Pulse documents
        (a newer observation that changes nothing is `unchanged` and keeps the stored
        observed_at); here, whether the stored values are those of the greatest version."""
        m = self.m
        bad = []
        for k, (obs, vals) in m.s["candle_best"].items():
            if m.s["candles"][k][0] != vals:
                bad.append("candle %s: stored %s (observed %s), but version %s said %s"
                           % (k[:3] + (dt_of(k[3]).isoformat(),), m.s["candles"][k][0], dt_of(m.s["candles"][k][1]).isoformat(),
                              dt_of(obs).isoformat(), vals))
        for tid, (obs, vals) in m.s["tweet_best"].items():
            t = m.s["tweets"][tid]
            if {f: t[f] for f in TWEET_FIELDS} != vals:
                changed = [f for f in TWEET_FIELDS if t[f] != vals[f]]
                bad.append("tweet %d: stored %s (observed %s), but version %s said %s"
                           % (tid, {f: t[f] for f in changed}, dt_of(t["observed"]).isoformat(), dt_of(obs).isoformat(),
                              {f: vals[f] for f in changed}))
        new = [b for b in bad if b not in self.version_gaps]
        for b in new:
            self.version_gaps.add(b)
            log("VERSION GAP after %s: %s" % (where, b))
        if new and STRICT_VERSIONS:
            raise Failure("an older observation overwrote a newer one (PULSE_MODEL_STRICT_VERSIONS=1)")

    version_gaps = set()


def main():
    log("model_ingest: PULSE_MODEL_SEED=%d PULSE_MODEL_STEPS=%d (reproduce: PULSE_MODEL_SEED=%d PULSE_MODEL_STEPS=%d)"
        % (SEED, STEPS, SEED, STEPS))
    t0 = time.time()
    run = Runner()
    i = 0
    try:
        for i in range(1, STEPS + 1):
            run.step(i)
            if i % CHECK_EVERY == 0 or i == STEPS:
                run.check("step %d" % i)
    except Failure as e:
        log("FAIL at step %d (PULSE_MODEL_SEED=%d): %s" % (i, SEED, e))
        return 1
    log("model_ingest: %d steps, %s; %d candles, %d tweets, %d rejects, %d landing rows; %d version gaps; %.1f s"
        % (STEPS, dict(sorted(run.stats.items())), len(run.m.s["candles"]), len(run.m.s["tweets"]),
           sum(run.m.rejects.values()), sum(run.m.landing.values()), len(run.version_gaps), time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
