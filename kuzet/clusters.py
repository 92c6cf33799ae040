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
import operator
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
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
#: Common characters outside NFKC, each with its full compatibility decomposition (NFKD).
_DECOMPOSED = {"\N{NUMERO SIGN}": "No", "\N{HORIZONTAL ELLIPSIS}": "..."}
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
    """word -> stable 64-bit hash, computed once per word (cleared when it grows too big).

    The hash is kept as a signed integer (the same 64 bits read as int64): numpy converts
    those to an array faster than integers of 2**63 and above.
    """

    LIMIT = 1 << 20

    def __missing__(self, word: str) -> int:
        if len(self) >= self.LIMIT:
            self.clear()
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        value = self[word] = int.from_bytes(digest, "big", signed=True)
        return value


_WORD_HASHES = _WordHashes()


def words(text: str) -> list[str]:
    """The normalised words of `text`: NFKC, case-folded, `ё` -> `е`, letters and digits only.

    Normalising costs more than the rest, so it is skipped when it would change nothing:
    `unicodedata.is_normalized` answers that in a fraction of the time, and is true exactly
    when `normalize` would return the text as it is. Most of our texts are normal but for a
    `№` or a `…`; writing such a character as its compatibility decomposition (`No`, `...`)
    leaves the NFKD form of the text, and so its NFKC form, unchanged (a decomposition
    decomposes no further), after which the text is often normal as it stands.
    """
    if not unicodedata.is_normalized("NFKC", text):
        for char, decomposed in _DECOMPOSED.items():
            text = text.replace(char, decomposed)
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
    return _WORD.findall(text.casefold().replace("ё", "е"))


def shingles(title: str, text: str) -> np.ndarray:
    """Sorted unique 64-bit hashes of the three-word shingles of a document (title added to a
    short text)."""
    ws = words(text)
    if len(ws) < SHORT_TEXT_WORDS:
        ws = words(title) + ws
    if not ws:
        return np.empty(0, dtype=np.uint64)
    hashes = _word_hashes(ws)
    if len(ws) < SHINGLE_WORDS:
        return np.unique(hashes)
    n = len(ws) - SHINGLE_WORDS + 1
    mixed = hashes[:n] * _MIX[0]
    for k in range(1, SHINGLE_WORDS):
        mixed ^= hashes[k : k + n] * _MIX[k]
    return _sorted_unique(mixed)


def _word_hashes(ws: list[str]) -> np.ndarray:
    """The 64-bit hash of each word, as uint64 (one `itemgetter` call looks them all up)."""
    found = operator.itemgetter(*ws)(_WORD_HASHES) if len(ws) > 1 else (_WORD_HASHES[ws[0]],)
    return np.array(found, dtype=np.int64).view(np.uint64)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """`np.unique(values)` for a 1-d integer array: sorted, each value once.

    Sorting and keeping each value that differs from its predecessor gives the same array;
    `np.unique` takes several times longer on arrays of a few hundred values.
    """
    values = np.sort(values)
    if values.size < 2:
        return values
    keep = np.empty(values.size, dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def signature(sh: np.ndarray) -> np.ndarray:
    """MinHash signature (PERMUTATIONS values) of a shingle array; multiply-shift hashing."""
    if sh.size == 0:
        return np.full(PERMUTATIONS, np.iinfo(np.uint64).max, dtype=np.uint64)
    # The high 32 bits of (a * x + b) mod 2**64, minimised over the shingles x. Shifting right
    # never changes the order of two values (it is non-decreasing), so the minimum is taken
    # first and only the 72 minima are shifted; the product array is reused for the sum.
    values = np.multiply(_A, sh[None, :])  # uint64 arithmetic wraps without a warning
    values += _B
    return values.min(axis=1) >> np.uint64(32)


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (what `minhash_bands` stores)."""
    rows = sig.reshape(BANDS, ROWS)
    keys = _BAND_IDS.copy()
    for r in range(ROWS):
        keys ^= rows[:, r] * _BAND_MIX[r]
    return keys.view(np.int64).tolist()


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
    """What clustering needs of one document: its shingles as a sorted array (the set is
    built only when a candidate is compared, which most documents never meet)."""

    id: int
    kind: str
    dated_utc: str | None
    shingle_array: np.ndarray
    keys: list[int]

    @cached_property
    def shingles(self) -> frozenset[int]:
        """The shingle set `same_story` compares."""
        return frozenset(self.shingle_array.tolist())


def fingerprint(row: dict[str, Any]) -> Fingerprint:
    """Shingles and band keys of a document row (id, kind, dated_utc, title, text); none
    for a kind that is not clustered (nothing reads them)."""
    if row["kind"] not in CLUSTERED_KINDS:
        return Fingerprint(row["id"], row["kind"], row.get("dated_utc"), _NO_SHINGLES, [])
    sh = shingles(row.get("title") or "", row.get("text") or "")
    return Fingerprint(
        id=row["id"],
        kind=row["kind"],
        dated_utc=row.get("dated_utc"),
        shingle_array=sh,
        keys=band_keys(signature(sh)) if sh.size > 0 else [],
    )


_NO_SHINGLES = np.empty(0, dtype=np.uint64)


@dataclass
class ClusterReport:
    """What a clustering pass did."""

    documents: int = 0
    joined: int = 0  # documents that joined (or merged) an existing cluster


class _BandIndex:
    """Who holds each band key of a batch, kept in step with `minhash_bands` during `assign`.

    One query at the start reads the stored rows for every key of the batch; from then on the
    batch's own changes are applied here as they are made in the database: a document taken
    out of its cluster loses its stored rows, a placed document adds its keys. So
    `candidates` answers exactly what querying `minhash_bands` at that moment would, in one
    query per batch instead of one per document, and documents of one batch still find the
    ones placed before them.
    """

    def __init__(self, stored: dict[int, list[int]]) -> None:
        self.stored = stored  # band key -> documents holding it when the batch began
        self.released: set[int] = set()  # documents whose stored rows are gone since
        self.added: dict[int, list[int]] = {}  # band key -> documents placed in this batch

    def candidates(self, keys: list[int], exclude: int) -> list[int]:
        """Ids of the documents holding any of `keys` now, `exclude` left out, in order."""
        found: set[int] = set()
        for key in keys:
            found.update(d for d in self.stored.get(key, ()) if d not in self.released)
            found.update(self.added.get(key, ()))
        found.discard(exclude)
        return sorted(found)

    def release(self, doc_id: int) -> None:
        """`doc_id`'s rows were deleted (before it is placed: it has added none yet, since a
        batch holds each document once)."""
        self.released.add(doc_id)

    def add(self, doc_id: int, keys: list[int]) -> None:
        """`doc_id` now holds `keys`."""
        for key in keys:
            self.added.setdefault(key, []).append(doc_id)


def assign(store: Any, ids: Iterable[int]) -> ClusterReport:
    """Cluster these documents in one transaction; returns counts.

    A document already clustered in its current text (e.g. annotated again under new rules)
    is left where it is. Documents are placed one after another in id order, each seeing the
    ones placed before it.
    """
    report = ClusterReport()
    rows = [
        row
        for row in store.documents_for_clustering(list(ids))
        if row["cluster_sha"] != row["sha256"]
    ]
    fingerprints = [fingerprint(row) for row in rows]
    seen: dict[tuple[int, str], frozenset[int]] = {}  # texts cannot change in the transaction
    with store.transaction():
        index = _BandIndex(store.band_holders(sorted({k for fp in fingerprints for k in fp.keys})))
        for row, fp in zip(rows, fingerprints, strict=True):
            report.documents += 1
            report.joined += _assign_one(store, row, fp, index, seen)
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
    store: Any,
    row: dict[str, Any],
    fp: Fingerprint,
    index: _BandIndex,
    seen: dict[tuple[int, str], frozenset[int]],
) -> int:
    """Place one document in a cluster; returns 1 if it joined others, else 0. `index` tracks
    the band keys (see `_BandIndex`); `seen` keeps the shingles of candidates read before, by
    id and text hash."""
    if row["cluster_sha"] is not None:
        store.release_cluster(row["id"])
        index.release(row["id"])
    matches: list[int] = []
    if fp.keys and (candidate_ids := index.candidates(fp.keys, exclude=fp.id)):
        for other in store.documents_for_clustering(candidate_ids):
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
    index.add(fp.id, fp.keys)
    return 1 if matches else 0
