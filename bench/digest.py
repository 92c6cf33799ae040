"""Digest benchmark: a day with 5,000 flagged documents among 200,000, and story clustering.

Not a test: it prints figures, with the clustering compared against a brute-force pairwise
comparison measured in the same run.
    python bench/digest.py [--docs 200000] [--flagged 5000] [--subset 2000] [--workdir DIR]
                           [--json OUT] [--keep]

Documents are generated (Russian-like text from a synthetic vocabulary, ~1.6 KB each, a fifth
of them re-posts of another article: a lead added, a sentence dropped, a word changed) and
inserted through the real Store over 60 simulated days; the store's clock is set to each
simulated day while its documents are stored, so `first_seen_at` spreads over those days.
Flags are saved through `Store.save_annotations` and every document is clustered through
`kuzet.clusters` as `kuzet annotate` does. Then `run_digest` builds (and queues) the last
day's digest. On a 2,000-document subset of that day, clustering through the store (MinHash
LSH) is timed against brute force (every pair compared exactly, same similarity test), and
the recall of the brute-force pairs is reported.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import kuzet.store.annotations
import kuzet.store.base
from kuzet import clusters
from kuzet.config import TOPICS
from kuzet.digest import day_bounds, run_digest
from kuzet.documents import NewDocument
from kuzet.store import Store

SEED, DAYS, BATCH = 20261130, 60, 2000
DAY = date(2026, 11, 30)
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 08:00 the next morning in Almaty
REPOST_SHARE, HISTORY_FLAG_SHARE = 0.2, 0.03
DAY_UNFLAGGED = 3000  # annotated documents of the day that are flagged on nothing
RULES = "bench-rules"
SYLLABLES = ("бвгджзклмнпрстфхцчш", "аеиоуяы", ("", "н", "л", "р", "в", "к", "ст"))
TERMS = {"sogi": "лгбт", "hate_crime": "нападение", "anti_discrimination": "дискриминация"}


def vocabulary(rng: random.Random, n: int = 6000) -> tuple[list[str], list[float]]:
    """Synthetic words and Zipf cumulative weights."""
    cons, vowels, finals = SYLLABLES
    words = list(
        dict.fromkeys(
            "".join(rng.choice(cons) + rng.choice(vowels) for _ in range(rng.randint(2, 4)))
            + rng.choice(finals)
            for _ in range(n)
        )
    )
    return words, list(itertools.accumulate(1.0 / (r + 2.7) for r in range(len(words))))


class Generator:
    """Articles and re-posts, deterministic for a seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words, self.cum = vocabulary(self.rng)
        self.recent: list[list[str]] = []  # sentences of recent originals (for re-posts)

    def sentences(self) -> list[str]:
        rng = self.rng
        return [
            " ".join(rng.choices(self.words, cum_weights=self.cum, k=rng.randint(10, 22))) + "."
            for _ in range(rng.randint(8, 14))
        ]

    def text(self, topic: str | None) -> str:
        rng = self.rng
        if self.recent and rng.random() < REPOST_SHARE:
            out = list(rng.choice(self.recent))
            if rng.random() < 0.6:
                out.pop(rng.randrange(len(out)))
            if rng.random() < 0.6:
                out.insert(0, f"Как сообщает издание номер {rng.randrange(50)}.")
            words = " ".join(out).split()
            words[rng.randrange(len(words))] = rng.choice(self.words)
            text = " ".join(words)
        else:
            out = self.sentences()
            self.recent.append(out)
            self.recent = self.recent[-400:]
            text = " ".join(out)
        if topic:
            text = f"{TERMS[topic].capitalize()} {text}"
        return text


def build(path: Path, n_docs: int, n_flagged: int) -> dict[str, Any]:
    """Insert the generated days through the real Store, flag and cluster them."""
    gen = Generator(SEED)
    day_docs = n_flagged + DAY_UNFLAGGED
    per_day = (n_docs - day_docs) // (DAYS - 1)
    plan = [(DAY - timedelta(days=DAYS - 1 - i), per_day) for i in range(DAYS - 1)]
    plan.append((DAY, n_docs - per_day * (DAYS - 1)))
    store = Store.open(path)
    t = {"insert": 0.0, "annotate": 0.0, "cluster": 0.0}
    last_id, stored = 0, 0
    for day, count in plan:
        flagged = n_flagged if day == DAY else int(count * HISTORY_FLAG_SHARE)
        annotated = day_docs if day == DAY else flagged
        stamp = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=6)
        for start in range(0, count, BATCH):
            size = min(BATCH, count - start)
            docs, topics = [], []
            for k in range(start, start + size):
                topic = TOPICS[k % 3] if k < flagged else None
                docs.append(
                    NewDocument(
                        url=f"https://bench.example/{day}/{k}",
                        text=gen.text(topic),
                        source=f"outlet{k % 20}",
                        title=f"Статья {k} за {day}",
                        lang="ru",
                        published_at=(stamp - timedelta(hours=k % 30)).isoformat(),
                    )
                )
                topics.append(topic if k < annotated else "skip")
            _set_clock(stamp + timedelta(seconds=start))
            t0 = time.perf_counter()
            store.upsert_documents(docs)
            t["insert"] += time.perf_counter() - t0
            ids = [
                r[0]
                for r in store.db.execute(
                    "SELECT id FROM documents WHERE id > ? ORDER BY id", [last_id]
                )
            ]
            last_id = ids[-1]
            t0 = time.perf_counter()
            store.save_annotations(RULES, _results(ids, docs, topics))
            t["annotate"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            clusters.assign(store, ids)
            t["cluster"] += time.perf_counter() - t0
            stored += size
        if stored % 50_000 < count:
            print(f"  {stored:>9,} docs stored", file=sys.stderr)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    lo, hi = day_bounds(DAY)
    flagged_today = len(store.flagged_first_seen(lo, hi))
    total = store.count_documents()
    store.close()
    return {
        "docs": total,
        "flagged_on_day": flagged_today,
        "insert_s": t["insert"],
        "annotations_s": t["annotate"],
        "cluster_all_s": t["cluster"],
        "cluster_all_docs_per_s": total / t["cluster"],
        "db_bytes": sum(p.stat().st_size for p in path.parent.glob(path.name + "*")),
    }


def _set_clock(moment: datetime) -> None:
    """The store stamps first_seen_at (and annotated_at) with this simulated time."""
    stamp = moment.replace(microsecond=0).isoformat()
    kuzet.store.base.now_iso = lambda: stamp
    kuzet.store.annotations.now_iso = lambda: stamp


def _results(
    ids: list[int], docs: list[NewDocument], topics: list[str | None]
) -> list[dict[str, Any]]:
    out = []
    for doc_id, doc, topic in zip(ids, docs, topics, strict=True):
        if topic == "skip":
            continue
        flags = {}
        if topic:
            term = TERMS[topic].capitalize()
            ev = {
                "rule": f"bench.{topic}",
                "weight": 3.0,
                "text": term,
                "start": 0,
                "end": len(term),
                "sentence": doc.text[:200],
                "field": "text",
            }
            flags[topic] = {"score": 3.0 + doc_id % 7, "flagged": True, "evidence": [ev]}
        out.append(
            {"id": doc_id, "version": 1, "lang": "ru", "lemmas": None, "topics": flags, "legal": []}
        )
    return out


def time_digest(path: Path, workdir: Path) -> dict[str, Any]:
    """Build and queue the day's digest on the full database (twice: cold and repeat)."""
    import os

    os.environ["KUZET_VAR"] = str(workdir / "var")
    out: dict[str, Any] = {}
    with Store.open(path, create=False) as store:
        for label in ("digest_s", "digest_again_s"):
            t0 = time.perf_counter()
            result = run_digest(store, DAY, send=True, now=NOW)
            out[label] = time.perf_counter() - t0
        out |= {
            "stories": result.stories,
            "documents": result.documents,
            "second_run_queued": not result.already_queued,
            "html_bytes": len(result.html),
        }
    return out


def subset_texts(path: Path, n: int) -> list[dict[str, Any]]:
    """The first `n` documents stored on the digest's day (re-posts included)."""
    with Store.open(path, create=False) as store:
        lo, hi = day_bounds(DAY)
        ids = [r["id"] for r in store.flagged_first_seen(lo, hi)][:n]
        return store.documents_for_clustering(ids)


def compare(rows: list[dict[str, Any]], workdir: Path) -> dict[str, Any]:
    """LSH clustering through the store against brute force, on the same documents."""
    path = workdir / "subset.db"
    with Store.open(path) as store:
        store.upsert_documents(
            NewDocument(
                url=f"https://subset.example/{r['id']}",
                text=r["text"],
                title=r["title"],
                source="bench",
                published_at=r["dated_utc"],
            )
            for r in rows
        )
        t0 = time.perf_counter()
        clusters.cluster_pending(store)
        lsh_s = time.perf_counter() - t0
        got = dict(store.db.execute("SELECT id, cluster_id FROM documents").fetchall())
        texts = {i: (t, x) for i, t, x in store.db.execute("SELECT id, title, text FROM documents")}
    t0 = time.perf_counter()
    sets = {i: frozenset(clusters.shingles(t, x).tolist()) for i, (t, x) in texts.items()}
    pairs = [
        (a, b)
        for a, b in itertools.combinations(sorted(sets), 2)
        if clusters.same_story(sets[a], sets[b])
    ]
    parent = {i: i for i in sets}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        parent[find(a)] = find(b)
    brute_s = time.perf_counter() - t0
    brute = {i: find(i) for i in sets}
    found = sum(got[a] == got[b] for a, b in pairs)
    lsh_groups = {frozenset(i for i in got if got[i] == c) for c in set(got.values())}
    brute_groups = {frozenset(i for i in brute if brute[i] == c) for c in set(brute.values())}
    n = len(rows)
    return {
        "subset": n,
        "lsh_s": lsh_s,
        "lsh_docs_per_s": n / lsh_s,
        "brute_s": brute_s,
        "brute_docs_per_s": n / brute_s,
        "ratio": brute_s / lsh_s,
        "pairs": len(pairs),
        "recall": found / len(pairs) if pairs else 1.0,
        "clusters_lsh": len(lsh_groups),
        "clusters_brute": len(brute_groups),
        "same_partition": lsh_groups == brute_groups,
    }


def report(r: dict[str, Any]) -> None:
    rows = [
        ("documents in the database", f"{r['docs']:,}"),
        ("flagged documents on the digest's day", f"{r['flagged_on_day']:,}"),
        ("database size on disk (MB)", f"{r['db_bytes'] / 2**20:,.0f}"),
        ("insert through Store (s)", f"{r['insert_s']:.1f}"),
        ("clustering every document as stored (s)", f"{r['cluster_all_s']:.1f}"),
        ("  = documents/s", f"{r['cluster_all_docs_per_s']:,.0f}"),
        ("digest build + queue (s)", f"{r['digest_s']:.2f}"),
        ("  again, same day (s)", f"{r['digest_again_s']:.2f}"),
        ("  queued a second time?", "yes (wrong)" if r["second_run_queued"] else "no"),
        ("  stories / flagged documents that day", f"{r['stories']:,} / {r['documents']:,}"),
        ("  HTML size (KB)", f"{r['html_bytes'] / 1024:,.0f}"),
        (f"subset: {r['subset']:,} documents of that day", ""),
        ("  MinHash LSH through the store (docs/s)", f"{r['lsh_docs_per_s']:,.0f}"),
        ("  brute force, every pair (docs/s)", f"{r['brute_docs_per_s']:,.1f}"),
        ("  ratio LSH / brute force", f"{r['ratio']:,.1f}x"),
        ("  same-story pairs found by brute force", f"{r['pairs']:,}"),
        ("  recall of those pairs by LSH", f"{r['recall']:.4f}"),
        ("  clusters: LSH / brute force", f"{r['clusters_lsh']:,} / {r['clusters_brute']:,}"),
        ("  identical partition", "yes" if r["same_partition"] else "no"),
        ("peak RSS (MB)", f"{r['peak_rss_mb']:,.0f}"),
    ]
    print("\n== Kuzet digest benchmark ==")
    for label, value in rows:
        print(f"{label:<46}{value:>18}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--flagged", type=int, default=5_000)
    ap.add_argument("--subset", type=int, default=2_000)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the databases")
    args = ap.parse_args()
    if args.workdir and not args.workdir.is_dir():
        ap.error(f"--workdir {args.workdir} is not a directory")
    if args.flagged + DAY_UNFLAGGED > args.docs // 2 or args.subset > args.flagged:
        ap.error("need --flagged + 3000 <= --docs / 2 and --subset <= --flagged")
    workdir = Path(tempfile.mkdtemp(prefix="kuzet-bench-digest-", dir=args.workdir))
    t0 = time.perf_counter()
    try:
        path = workdir / "bench.db"
        print(f"building {path} ({args.docs:,} documents)", file=sys.stderr)
        result = build(path, args.docs, args.flagged)
        print("building the digest", file=sys.stderr)
        result |= time_digest(path, workdir)
        print(f"clustering a {args.subset:,}-document subset two ways", file=sys.stderr)
        result |= compare(subset_texts(path, args.subset), workdir)
    finally:
        if args.keep:
            print(f"databases kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report(result)
    print(f"total run time: {time.perf_counter() - t0:,.0f} s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
