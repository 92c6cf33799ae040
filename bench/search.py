"""Search benchmark: FTS5 through the real Store against `LIKE '%term%'` scans, same run.

Not a test: it prints figures and ratios against a LIKE baseline measured on the same data.
    python bench/search.py [--sizes 100000,1000000] [--workdir DIR] [--like-sample N]
                           [--json OUT] [--keep | --reuse DIR]
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import math
import multiprocessing
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from kuzet.documents import NewDocument
from kuzet.search import find, make_filters
from kuzet.store import Store

SEED, BATCH, N_QUERIES, RU_SHARE = 20240601, 2000, 200, 0.7
TEXT_BYTES = 3000  # target UTF-8 size of a document's text (it varies by +-30%)
STOP_RANKS = 100  # the most frequent word forms, never used as query words
QUERY_MAX_RANK = 10_000  # query words: log-uniform over frequency ranks 101..10000
TOPIC, SINCE, UNTIL = "sogi", "2024-03-01", "2024-05-29"  # 90-day window
TOPIC_SHARES = (("sogi", 10, 2654435761), ("hate_crime", 8, 2246822519))
TOPIC_SHARES += (("anti_discrimination", 8, 3266489917),)
START, SPAN_S = datetime(2023, 1, 1, tzinfo=timezone(timedelta(hours=5))), 2 * 365 * 86400
TARGET_MS, TARGET_SIZE = 50.0, 1_000_000

# Synthetic vocabulary (whitespace-separated); RU endings are "|"-separated, "" = bare stem.
RU_STOP = (
    "и в не на что с по как это он к из за о от для то а но же так все она его они бы уже "
    "при до или ли также этот ещё её мы их только может"
)
RU_STEMS = {
    "m": "закон суд депутат проект город район год случай документ парламент министр активист "
    "журналист запрет мажилис сенат кодекс штраф протест доклад митинг процесс приговор иск",
    "f": "стран норм групп пропаганд работ жалоб защит школ поправк проверк газет статистик",
    "a": "правов судебн публичн государственн социальн уголовн административн местн нов",
    "v": "приним сообщ обсужд запрещ рассматрив защищ объявл",
    "": "лгбт",
}
RU_ENDINGS = {
    "m": "|а|у|ом|е|ы|ов|ам|ами|ах",
    "f": "а|ы|е|у|ой||ам|ами|ах",
    "a": "ый|ая|ое|ые|ого|ой|ому|ым|ых|ую",
    "v": "ать|ает|ают|ал|ала|али|аем|ая",
    "": "",
}
RU_SYLLABLES = ("бвгджзклмнпрстфхцчш", "аеиоуя", "|н|л|р|в|к|ст")
EN_STOP = (
    "the of and to in a is that for on with as was by it at from be this are or has have "
    "not an which"
)
EN_WORDS = (
    "law court right government police report minister bill parliament country people "
    "community activist group case protest state public city ban propaganda discrimination "
    "violence equality crime judge school family union"
)
EN_ONSETS = "b c d f g h l m n p r s t v w br cl cr dr fl gr pl pr sh st th tr"
EN_VOWELS, EN_CODAS = "a e i o u ai ea ee ou oo", "|n|r|t|s|l|nd|st|ct|nt|rt|m|ck"
EN_SUFFIXES = "s ed ing er tion ment ly"


@functools.cache
def vocabulary(lang: str) -> tuple[list[str], list[float], float]:
    """Word forms by frequency rank (stop words first), Zipf cumulative weights, bytes/token."""
    rng = random.Random(f"{SEED}:vocab:{lang}")
    forms: list[str] = []
    if lang == "ru":
        lemmas = [(stem, c) for c, stems in RU_STEMS.items() for stem in stems.split()]
        cons, vowels, finals = RU_SYLLABLES
        for _ in range(6000):
            stem = "".join(rng.choice(cons) + rng.choice(vowels) for _ in range(rng.randint(2, 3)))
            lemmas.append((stem + rng.choice(finals.split("|")), rng.choice("mfav")))
        for stem, cls in lemmas:
            forms += [stem + e for e in RU_ENDINGS[cls].split("|")]
        stop = RU_STOP.split()
    else:
        onsets, vowels, codas = EN_ONSETS.split(), EN_VOWELS.split(), EN_CODAS.split("|")
        lemmas_en = EN_WORDS.split()
        for _ in range(4000):
            syl = [rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(1, 3))]
            lemmas_en.append("".join(syl) + rng.choice(codas))
        for lemma in lemmas_en:
            forms += [lemma, *(lemma + s for s in rng.sample(EN_SUFFIXES.split(), 2))]
        stop = EN_STOP.split()
    rng.shuffle(forms)
    ordered = list(dict.fromkeys(stop + forms))
    cum = list(itertools.accumulate(1.0 / (r + 2.7) for r in range(1, len(ordered) + 1)))
    sample = rng.choices(ordered, cum_weights=cum, k=50_000)
    return ordered, cum, sum(len(w.encode()) + 1 for w in sample) / len(sample) + 0.15


def chunks(rng: random.Random, items: list[str], lo: int, hi: int, sep: str) -> list[str]:
    """`items` joined with `sep` in consecutive runs of lo..hi items."""
    out, pos = [], 0
    while pos < len(items):
        n = rng.randint(lo, hi)
        out.append(sep.join(items[pos : pos + n]))
        pos += n
    return out


def prose(rng: random.Random, words: list[str]) -> str:
    """Words as capitalised sentences of 6-18 words, in paragraphs of 3-7 sentences."""
    sentences = [s.capitalize() + "." for s in chunks(rng, words, 6, 18, " ")]
    return "\n\n".join(chunks(rng, sentences, 3, 7, " "))


def make_batch(span: tuple[int, int]) -> list[NewDocument]:
    """Documents span[0]..span[1]-1; deterministic for a given start."""
    rng, docs = random.Random(f"{SEED}:docs:{span[0]}"), []
    for i in range(*span):
        lang = "ru" if rng.random() < RU_SHARE else "en"
        forms, cum, per_token = vocabulary(lang)
        n_words = int(TEXT_BYTES / per_token * rng.uniform(0.7, 1.3))
        text = prose(rng, rng.choices(forms, cum_weights=cum, k=n_words))
        title = " ".join(rng.choices(forms, cum_weights=cum, k=rng.randint(6, 10))).capitalize()
        day, src = START + timedelta(seconds=rng.randrange(SPAN_S)), f"bench-{lang}-{i % 5}"
        dates = {
            "published_at": day.isoformat(),
            "fetched_at": (day + timedelta(hours=3)).isoformat(),
        }
        docs.append(
            NewDocument(
                f"https://bench.example/{src}/{i}", text, src, title=title, lang=lang, **dates
            )
        )
    return docs


def make_queries() -> list[list[str]]:
    """N_QUERIES queries of 1-3 distinct words of one language, from mid-frequency ranks."""
    rng, queries = random.Random(f"{SEED}:queries"), []
    lo, hi = math.log(STOP_RANKS + 1), math.log(QUERY_MAX_RANK + 1)
    for _ in range(N_QUERIES):
        forms = vocabulary("ru" if rng.random() < RU_SHARE else "en")[0]
        words: list[str] = []
        k = rng.randint(1, 3)
        while len(words) < k:
            w = forms[int(math.exp(rng.uniform(lo, hi))) - 1]
            words += [] if w in words else [w]
        queries.append(words)
    return queries


def build(path: Path, n: int) -> dict[str, Any]:
    """Insert n generated documents through Store.upsert_documents, then set topics."""
    store = Store.open(path)
    spans = iter([(s, min(s + BATCH, n)) for s in range(0, n, BATCH)])
    insert_s, t0, done = 0.0, time.perf_counter(), 0
    with multiprocessing.Pool(1) as pool:  # generates the next batches while SQLite inserts
        pending = deque(pool.apply_async(make_batch, (s,)) for s in itertools.islice(spans, 3))
        while pending:
            batch = pending.popleft().get()
            pending.extend(pool.apply_async(make_batch, (s,)) for s in itertools.islice(spans, 1))
            t = time.perf_counter()
            store.upsert_documents(batch)
            insert_s += time.perf_counter() - t
            done += len(batch)
            if done % 100_000 == 0 or done == n:
                print(f"  {done:>9,} docs, {done / insert_s:,.0f} docs/s", file=sys.stderr)
    wall = time.perf_counter() - t0
    hashed = "((id * {k}) % 4294967296) * 100 / 4294967296 < {pct}"  # Fibonacci hashing
    cases = [(name, hashed.format(k=k, pct=pct)) for name, pct, k in TOPIC_SHARES]
    parts = " || ".join(f"CASE WHEN {cond} THEN '\"{name}\",' ELSE '' END" for name, cond in cases)
    t = time.perf_counter()
    with store.db.atomic():
        store.db.execute(
            f"UPDATE documents SET topics = '[' || rtrim({parts}, ',') || ']' "
            f"WHERE {' OR '.join(c for _, c in cases)}"
        )
    topics_s = time.perf_counter() - t
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    avg = store.db.execute("SELECT avg(length(CAST(text AS BLOB))) FROM documents").fetchone()[0]
    store.close()
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    out = {"docs": n, "insert_docs_per_s": n / insert_s, "insert_s": insert_s, "build_wall_s": wall}
    return out | {"topics_update_s": topics_s, "avg_text_bytes": avg, "db_bytes": size}


def stats(times: list[float], hits: list[int]) -> dict[str, float]:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[max(0, math.ceil(0.95 * len(ms)) - 1)]
    mean, hits_mean = statistics.fmean(ms), statistics.fmean(hits)
    return {"n": len(ms), "p50": statistics.median(ms), "p95": p95, "mean": mean, "hits": hits_mean}


def timed(
    queries: list[list[str]], search: Callable[[list[str]], int]
) -> tuple[list[float], list[int]]:
    """Wall time (s) and hit count of `search` for each query."""
    times, hits = [], []
    for words in queries:
        t = time.perf_counter()
        hits.append(search(words))
        times.append(time.perf_counter() - t)
    return times, hits


def measure(path: Path, queries: list[list[str]], like_n: int) -> dict[str, Any]:
    """Time the FTS search (real code path) and the LIKE scans, unfiltered and filtered."""
    store = Store.open(path, create=False)
    f = make_filters(store, topic=TOPIC, since=SINCE, until=UNTIL)
    variants = {"": {}, "_filtered": {"topic": TOPIC, "since": SINCE, "until": UNTIL}}
    out: dict[str, Any] = {}
    for suffix, filters in variants.items():

        def fts(words: list[str], filters: dict[str, str] = filters) -> int:
            # Explicit AND: find() expands each word to `("w" OR lemmas:"w")` by default, and
            # FTS5 rejects implicit AND next to a parenthesised group ("syntax error near (").
            query = " AND ".join(words)
            return len(list(find(store, query, sort="rank", limit=20, **filters)))

        def like(words: list[str], filters: dict[str, str] = filters) -> int:
            sql = "SELECT id, title FROM documents WHERE " + " AND ".join(
                ["text LIKE ?"] * len(words)
            )
            params = [f"%{w}%" for w in words]
            if filters:
                sql += " AND EXISTS (SELECT 1 FROM json_each(topics) WHERE value = ?)"
                sql += " AND dated_utc >= ? AND dated_utc <= ?"
                params += [f.topic, f.since, f.until]
            return len(store.db.execute(sql + " LIMIT 20", params).fetchall())

        timed(queries[:10], fts)  # warm-up, untimed
        times, hits = timed(queries, fts)
        out["fts" + suffix] = stats(times, hits) | {"ms": [round(t * 1000, 2) for t in times]}
        fts_sample = stats(times[:like_n], hits[:like_n])
        like_stats = out["like" + suffix] = stats(*timed(queries[:like_n], like))
        out["ratio" + suffix] = {q: like_stats[q] / fts_sample[q] for q in ("p50", "p95")}
    store.close()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def report(results: list[dict[str, Any]]) -> None:
    def ms(key: str) -> Any:
        return lambda r: "{p50:.1f} / {p95:.1f} / {mean:.1f}".format(**r[key])

    def hits(r: dict[str, Any]) -> str:
        return f"{r['fts']['hits']:.1f} / {r['fts_filtered']['hits']:.1f}"

    def ratio(key: str) -> Any:
        return lambda r: "{p50:.0f}x / {p95:.0f}x".format(**r[key])

    rows = [
        ("documents", lambda r: f"{r['docs']:,}"),
        ("insert rate (docs/s, upsert time only)", lambda r: f"{r['insert_docs_per_s']:,.0f}"),
        ("avg text size (bytes, UTF-8)", lambda r: f"{r['avg_text_bytes']:,.0f}"),
        ("topics UPDATE (s)", lambda r: f"{r['topics_update_s']:.1f}"),
        ("database size on disk (MB)", lambda r: f"{r['db_bytes'] / 2**20:,.0f}"),
        ("FTS, no filter", ms("fts")),
        ("FTS, topic+date filter", ms("fts_filtered")),
        ("  mean hits (limit 20): plain / filtered", hits),
        ("LIKE sample size (queries)", lambda r: f"{r['like']['n']} of {N_QUERIES}"),
        ("LIKE, no filter", ms("like")),
        ("LIKE, topic+date filter", ms("like_filtered")),
        ("ratio LIKE/FTS, no filter (p50 / p95)", ratio("ratio")),
        ("ratio LIKE/FTS, filtered (p50 / p95)", ratio("ratio_filtered")),
        ("peak RSS so far (MB)", lambda r: f"{r['peak_rss_mb']:,.0f}"),
    ]
    print("\n== Kuzet search benchmark (warm cache; times in ms: p50 / p95 / mean) ==")
    rank_range = f"{STOP_RANKS + 1}-{QUERY_MAX_RANK}"
    print(f"Queries: {N_QUERIES} of 1-3 words, drawn log-uniformly from word ranks {rank_range};")
    print(f"the {STOP_RANKS} most frequent word forms (stop words) are excluded.")
    print(f"Filter: topic={TOPIC}, {SINCE}..{UNTIL} (90 days). LIKE scans `text` only (substring")
    print("match); each LIKE/FTS ratio compares the same queries (the LIKE sample).\n")
    for label, get in rows:
        print(f"{label:<42}" + "".join(f"  {get(r):>22}" for r in results))
    at = [r["fts_filtered"]["p95"] for r in results if r["docs"] == TARGET_SIZE]
    verdict = f"{'MET' if at[0] <= TARGET_MS else 'MISSED'} ({at[0]:.1f} ms)" if at else "not run"
    print(f"\nTarget p95 <= {TARGET_MS:.0f} ms at 1M documents with filters: {verdict}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--like-sample", type=int, default=20, help="LIKE queries above 100k docs")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the databases")
    ap.add_argument(
        "--reuse",
        type=Path,
        help="a directory kept by --keep: measure its databases again instead of building",
    )
    args = ap.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    if args.workdir and not args.workdir.is_dir():
        ap.error(f"--workdir {args.workdir} is not a directory")
    if args.reuse and not args.reuse.is_dir():
        ap.error(f"--reuse {args.reuse} is not a directory")
    workdir = args.reuse or Path(tempfile.mkdtemp(prefix="kuzet-bench-", dir=args.workdir))
    queries, results, t0 = make_queries(), [], time.perf_counter()
    try:
        for n in sizes:
            path, facts = workdir / f"bench-{n}.db", workdir / f"bench-{n}.json"
            if args.reuse and path.exists() and facts.exists():
                print(f"reusing {path} (built before: {facts})", file=sys.stderr)
                result = json.loads(facts.read_text())
            else:
                print(f"building {path} ({n:,} documents)", file=sys.stderr)
                result = build(path, n)
                facts.write_text(json.dumps(result))
            like_n = N_QUERIES if n <= 100_000 else min(args.like_sample, N_QUERIES)
            print(f"measuring {N_QUERIES} queries (LIKE: {like_n})", file=sys.stderr)
            results.append(result | measure(path, queries, like_n))
    finally:
        if args.keep or args.reuse:
            print(f"databases kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report(results)
    print(f"total run time: {time.perf_counter() - t0:,.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"queries": queries, "results": results}, indent=2))


if __name__ == "__main__":
    main()
