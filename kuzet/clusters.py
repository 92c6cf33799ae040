"""Same story, one entry: near-duplicate and syndicated news articles grouped into clusters.

A document's text is normalised (NFKC, case-folded, `ё` as `е`, words only) and cut into
shingles of three consecutive words. Two articles are the *same story* when the shingle sets
overlap by Jaccard >= 0.5, or when one is contained in the other for >= 0.8 of its shingles
(a shortened re-post), and they are dated at most 30 days apart. Clusters are the connected
groups of that relation; a cluster's id is the smallest document id in it.

Finding candidates without comparing every pair: each document gets a MinHash signature
(72 hash functions over its shingles), cut into 24 bands of 3 values; each band is hashed to a
key stored in `minhash_bands`. Documents sharing any key are candidates (a pair with Jaccard
0.5 shares one with probability 0.96), and each candidate is checked exactly on the shingles.

Only news articles are clustered: two acts or bill pages with near-identical wording are still
two acts, so each legal document is its own cluster.

`assign(store, ids)` clusters documents as `kuzet annotate` saves them; `cluster_pending(store)`
catches up on any document not clustered in its current version (the digest calls it).
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SHINGLE_WORDS = 3
BANDS, ROWS = 24, 3
PERMUTATIONS = BANDS * ROWS
JACCARD = 0.5
CONTAINMENT, CONTAINMENT_MIN = 0.8, 25  # containment counts only for 25+ shingles
WINDOW = timedelta(days=30)
CLUSTERED_KINDS = ("news",)
#: Words of text below which the title is added to the text before shingling.
SHORT_TEXT_WORDS = 20
BATCH = 500

_WORD = re.compile(r"\w+")
_MASK64 = (1 << 64) - 1


def _constants(label: str, n: int) -> np.ndarray:
    """`n` fixed 64-bit odd integers derived from `label` (stable across versions)."""
    values = [
        int.from_bytes(hashlib.blake2b(f"{label}:{i}".encode(), digest_size=8).digest(), "big") | 1
        for i in range(n)
    ]
    return np.array(values, dtype=np.uint64)


_A = _constants("kuzet-minhash-a", PERMUTATIONS)[:, None]
_B = _constants("kuzet-minhash-b", PERMUTATIONS)[:, None]
_MIX = _constants("kuzet-shingle", SHINGLE_WORDS)
_BAND_MIX = _constants("kuzet-band", ROWS + 1)
_BAND_IDS = np.arange(1, BANDS + 1, dtype=np.uint64) * _BAND_MIX[ROWS]


class _WordHashes(dict[str, int]):
    """word -> stable 64-bit hash, computed once per word (cleared when it grows too big)."""

    LIMIT = 1 << 20

    def __missing__(self, word: str) -> int:
        if len(self) >= self.LIMIT:
            self.clear()
        value = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")
        self[word] = value
        return value


_WORD_HASHES = _WordHashes()


def words(text: str) -> list[str]:
    """The normalised words of `text`: NFKC, case-folded, `ё` -> `е`, letters and digits only."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold().replace("ё", "е"))


def shingles(title: str, text: str) -> np.ndarray:
    """Sorted unique 64-bit hashes of the three-word shingles of a document (title added to a
    short text)."""
    ws = words(text)
    if len(ws) < SHORT_TEXT_WORDS:
        ws = words(title) + ws
    if not ws:
        return np.empty(0, dtype=np.uint64)
    hashes = np.fromiter(map(_WORD_HASHES.__getitem__, ws), dtype=np.uint64, count=len(ws))
    if len(ws) < SHINGLE_WORDS:
        return np.unique(hashes)
    n = len(ws) - SHINGLE_WORDS + 1
    mixed = hashes[:n] * _MIX[0]
    for k in range(1, SHINGLE_WORDS):
        mixed ^= hashes[k : k + n] * _MIX[k]
    return np.unique(mixed)


def signature(sh: np.ndarray) -> np.ndarray:
    """MinHash signature (PERMUTATIONS values) of a shingle array; multiply-shift hashing."""
    if sh.size == 0:
        return np.full(PERMUTATIONS, np.iinfo(np.uint64).max, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return ((_A * sh[None, :] + _B) >> np.uint64(32)).min(axis=1)


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (what `minhash_bands` stores)."""
    rows = sig.reshape(BANDS, ROWS)
    with np.errstate(over="ignore"):
        keys = _BAND_IDS.copy()
        for r in range(ROWS):
            keys ^= rows[:, r] * _BAND_MIX[r]
    return [int(k) for k in keys.view(np.int64)]


def similarity(a: frozenset[int], b: frozenset[int]) -> tuple[float, float]:
    """(Jaccard, containment of the smaller set in the larger) of two shingle sets."""
    if not a or not b:
        return 0.0, 0.0
    common = len(a & b) if len(a) <= len(b) else len(b & a)
    return common / (len(a) + len(b) - common), common / min(len(a), len(b))


def same_story(a: frozenset[int], b: frozenset[int]) -> bool:
    """True when two shingle sets are near-duplicates (see the module docstring)."""
    jaccard, contained = similarity(a, b)
    return jaccard >= JACCARD or (
        contained >= CONTAINMENT and min(len(a), len(b)) >= CONTAINMENT_MIN
    )


def within_window(a: str | None, b: str | None) -> bool:
    """True when two `dated_utc` values are at most WINDOW apart (or either is unknown)."""
    if not a or not b:
        return True
    da = datetime.fromisoformat(a.replace("Z", "+00:00"))
    db = datetime.fromisoformat(b.replace("Z", "+00:00"))
    return abs(da - db) <= WINDOW


@dataclass
class Fingerprint:
    """What clustering needs of one document."""

    id: int
    kind: str
    dated_utc: str | None
    shingles: frozenset[int]
    keys: list[int]


def fingerprint(row: dict[str, Any]) -> Fingerprint:
    """Shingles and band keys of a document row (id, kind, dated_utc, title, text); none
    for a kind that is not clustered (nothing reads them)."""
    if row["kind"] not in CLUSTERED_KINDS:
        return Fingerprint(row["id"], row["kind"], row.get("dated_utc"), frozenset(), [])
    sh = shingles(row.get("title") or "", row.get("text") or "")
    return Fingerprint(
        id=row["id"],
        kind=row["kind"],
        dated_utc=row.get("dated_utc"),
        shingles=frozenset(sh.tolist()),
        keys=band_keys(signature(sh)) if sh.size > 0 else [],
    )


@dataclass
class ClusterReport:
    """What a clustering pass did."""

    documents: int = 0
    joined: int = 0  # documents that joined (or merged) an existing cluster


def assign(store: Any, ids: Iterable[int]) -> ClusterReport:
    """Cluster these documents in one transaction; returns counts.

    A document already clustered in its current text (e.g. annotated again under new rules)
    is left where it is.
    """
    report = ClusterReport()
    rows = [
        row
        for row in store.documents_for_clustering(list(ids))
        if row["cluster_sha"] != row["sha256"]
    ]
    seen: dict[tuple[int, str], frozenset[int]] = {}  # texts cannot change in the transaction
    with store.transaction():
        for row in rows:
            report.documents += 1
            report.joined += _assign_one(store, row, seen)
    return report


def cluster_pending(store: Any) -> ClusterReport:
    """Cluster every document not clustered in its current version, oldest id first."""
    total = ClusterReport()
    after_id = 0
    while ids := store.unclustered_ids(BATCH, after_id=after_id):
        after_id = ids[-1]
        report = assign(store, ids)
        total.documents += report.documents
        total.joined += report.joined
    if total.documents:
        log.info("clustered %d documents (%d joined a story)", total.documents, total.joined)
    return total


def _assign_one(
    store: Any, row: dict[str, Any], seen: dict[tuple[int, str], frozenset[int]]
) -> int:
    """Place one document in a cluster; returns 1 if it joined others, else 0. `seen` keeps
    the shingles of candidates read before, by id and text hash."""
    if row["cluster_sha"] is not None:
        store.release_cluster(row["id"])
    fp = fingerprint(row)
    matches: list[int] = []
    if fp.keys:
        candidates = store.cluster_candidates(fp.keys, exclude=fp.id)
        for other in candidates:
            if other["kind"] not in CLUSTERED_KINDS:
                continue
            if not within_window(fp.dated_utc, other["dated_utc"]):
                continue
            known = (other["id"], other["sha256"])
            if known not in seen:
                sh = shingles(other["title"] or "", other["text"] or "")
                seen[known] = frozenset(sh.tolist())
            if same_story(fp.shingles, seen[known]):
                matches.append(
                    other["cluster_id"] if other["cluster_id"] is not None else other["id"]
                )
    target = min([fp.id, *matches])
    store.save_cluster(fp.id, row["sha256"], target, fp.keys, merge=sorted(set(matches)))
    return 1 if matches else 0
