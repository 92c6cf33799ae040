"""The faster clustering code against the straightforward version it replaced.

The reference functions below are the earlier implementation, kept as it was: NFKC applied
to every text, `np.unique`, the full MinHash product, frozensets for every document, and one
`minhash_bands` query per document. Shingles, band keys and cluster assignments must match
exactly on varied and awkward input.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kuzet import clusters
from kuzet.documents import NewDocument
from kuzet.store import Store
from tests.test_clusters import generated

# -- the reference implementation -----------------------------------------------------------


def ref_words(text: str) -> list[str]:
    return clusters._WORD.findall(unicodedata.normalize("NFKC", text).casefold().replace("ё", "е"))


def ref_word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")


def ref_shingles(title: str, text: str) -> np.ndarray:
    ws = ref_words(text)
    if len(ws) < clusters.SHORT_TEXT_WORDS:
        ws = ref_words(title) + ws
    if not ws:
        return np.empty(0, dtype=np.uint64)
    hashes = np.array([ref_word_hash(w) for w in ws], dtype=np.uint64)
    if len(ws) < clusters.SHINGLE_WORDS:
        return np.unique(hashes)
    n = len(ws) - clusters.SHINGLE_WORDS + 1
    mixed = hashes[:n] * clusters._MIX[0]
    for k in range(1, clusters.SHINGLE_WORDS):
        mixed ^= hashes[k : k + n] * clusters._MIX[k]
    return np.unique(mixed)


def ref_signature(sh: np.ndarray) -> np.ndarray:
    if sh.size == 0:
        return np.full(clusters.PERMUTATIONS, np.iinfo(np.uint64).max, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return ((clusters._A * sh[None, :] + clusters._B) >> np.uint64(32)).min(axis=1)


def ref_band_keys(sig: np.ndarray) -> list[int]:
    rows = sig.reshape(clusters.BANDS, clusters.ROWS)
    with np.errstate(over="ignore"):
        keys = clusters._BAND_IDS.copy()
        for r in range(clusters.ROWS):
            keys ^= rows[:, r] * clusters._BAND_MIX[r]
    return [int(k) for k in keys.view(np.int64)]


def ref_assign(store: Store, ids: list[int]) -> clusters.ClusterReport:
    """The earlier `assign`: one candidate query per document, against the live table."""
    rows = [r for r in store.documents_for_clustering(ids) if r["cluster_sha"] != r["sha256"]]
    seen: dict[tuple[int, str], frozenset[int]] = {}
    report = clusters.ClusterReport(documents=len(rows))
    with store.transaction():
        for row in rows:
            if row["cluster_sha"] is not None:
                store.release_cluster(row["id"])
            news = row["kind"] in clusters.CLUSTERED_KINDS
            sh = ref_shingles(row["title"] or "", row["text"] or "") if news else None
            mine = frozenset(sh.tolist()) if sh is not None else frozenset()
            keys = ref_band_keys(ref_signature(sh)) if sh is not None and sh.size else []
            matches: list[int] = []
            for other in ref_candidates(store, keys, row["id"]) if keys else []:
                if other["kind"] not in clusters.CLUSTERED_KINDS:
                    continue
                if not clusters.within_window(row["dated_utc"], other["dated_utc"]):
                    continue
                known = (other["id"], other["sha256"])
                if known not in seen:
                    theirs = ref_shingles(other["title"] or "", other["text"] or "")
                    seen[known] = frozenset(theirs.tolist())
                if clusters.same_story(mine, seen[known]):
                    matches.append(
                        other["cluster_id"] if other["cluster_id"] is not None else other["id"]
                    )
            target = min([row["id"], *matches])
            store.save_cluster(row["id"], row["sha256"], target, keys, merge=sorted(set(matches)))
            report.joined += 1 if matches else 0
    return report


def ref_candidates(store: Store, keys: list[int], exclude: int) -> list[dict[str, Any]]:
    marks = ",".join("?" * len(keys))
    return store._rows(
        "SELECT id, kind, dated_utc, title, text, sha256, cluster_id, cluster_sha FROM documents "
        "WHERE id IN (SELECT DISTINCT document_id FROM minhash_bands WHERE band_key IN "
        f"({marks})) AND id != ? ORDER BY id",
        [*keys, exclude],
    )


# -- texts ----------------------------------------------------------------------------------

AWKWARD = [
    "",
    " \n\t ",
    "!!! ... ??? --- «» ;;; ",
    "одно",
    "два слова",
    "Ещё ЁЛКА ёжик Ё",
    "Қазақстан әділет ғылым өңір ұлттық үкімет һәм ІШКІ істер",
    "ﬁnance ﬂow ﬀ ﬃ — лигатуры ﬆ",
    "ＡＢＣ ｄｅｆ ０１２３ ｱｲｳ",
    "№ 123-V ЗРК от 01.01.2024 № 5… и так далее…",
    "№\u0301 и\u0306 е\u0308 combining marks after a compatibility character",
    "x² H₂O Ⅻ ½ ㎏ ℃ ™ ﹏",
    "İstanbul STRASSE Straße ΣΊΣΥΦΟΣ ǅemal ﬅ",
    "snake_case __init__ _ __ a_b_c 1_000_000",
    "123 456 789 2024 007 ٣٤٥ ४५६",
    "Mixed script: Алматы Almaty Алмати 阿拉木图 ألماتي",
    "non\u00a0breaking\u202fspaces\u2009thin\u3000ideographic",
    "zero\u200bwidth\u200cjoiners\u200dand\ufeffbom",
    "ﾊﾝｶｸ ｶﾀｶﾅ and ㈱ ㍻ ㋿",
    "\ufb01\ufb02" * 30,
    "ё" * 50,
]


def random_text(rng: random.Random, length: int) -> str:
    pool = (
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЁЖЯәғқңөұүһіӘҒҚҢӨҰҮҺІ"
        "abcxyzABCXYZ0123456789_ \n\t.,;:!?-«»()№…ﬁﬂＡｂ０²ⅫİßΣ\u00a0\u0301\u0306\u0308"
    )
    return "".join(rng.choice(pool) for _ in range(length))


def varied_texts() -> list[str]:
    rng = random.Random(20261130)
    texts = list(AWKWARD)
    texts += [random_text(rng, rng.randrange(0, 400)) for _ in range(300)]
    paragraph = (
        "Суд в Алматы оштрафовал двух активистов № 7 за пост о фестивале… Решение обжалуют. "
        "Адвокат заявил, что ﬁнальное решение ещё не принято, а ｓｕｄ откажет. "
    )
    texts += [paragraph * k for k in (1, 2, 10, 60)]
    texts += [" ".join(rng.sample(AWKWARD, 5)) for _ in range(50)]
    return texts


# -- the tests ------------------------------------------------------------------------------


def test_words_shingles_and_band_keys_match_the_reference() -> None:
    texts = varied_texts()
    titles = ["", "Заголовок", "ＴＩＴＬＥ № 5…", "Ёлка и ﬁ", *AWKWARD[3:8]]
    for i, text in enumerate(texts):
        title = titles[i % len(titles)]
        assert clusters.words(text) == ref_words(text), repr(text)
        new, old = clusters.shingles(title, text), ref_shingles(title, text)
        assert new.dtype == old.dtype
        assert new.tolist() == old.tolist(), repr((title, text))
        if old.size:
            sig = clusters.signature(new)
            assert sig.tolist() == ref_signature(old).tolist()
            assert clusters.band_keys(sig) == ref_band_keys(ref_signature(old))
    assert (
        clusters.signature(np.empty(0, np.uint64)).tolist()
        == ref_signature(np.empty(0, np.uint64)).tolist()
    )


def test_the_shortcut_decompositions_are_nfkd() -> None:
    # Replacing a character by its NFKD form leaves the text's NFKC form unchanged.
    for char, decomposed in clusters._DECOMPOSED.items():
        assert unicodedata.normalize("NFKD", char) == decomposed != char


def test_a_short_text_takes_its_title_as_before() -> None:
    title = "Суд оштрафовал активистов ﬁ № 5"
    for n in (0, 1, 2, 3, clusters.SHORT_TEXT_WORDS - 1, clusters.SHORT_TEXT_WORDS):
        text = " ".join(f"слово{i}" for i in range(n))
        assert clusters.shingles(title, text).tolist() == ref_shingles(title, text).tolist()
    assert clusters.shingles("", "").size == 0
    for title, text in (("", "одно"), ("Ёж", ""), ("Ёж", "ﬁ"), ("", "а б"), ("а", "б в")):
        assert clusters.shingles(title, text).tolist() == ref_shingles(title, text).tolist()


def test_sorted_unique_is_np_unique() -> None:
    rng = np.random.default_rng(5)
    for size in (0, 1, 2, 3, 10, 500):
        for high in (2, 50, 2**63):
            values = rng.integers(0, high, size=size, dtype=np.uint64)
            assert clusters._sorted_unique(values).tolist() == np.unique(values).tolist()


def test_fingerprint_set_is_built_from_the_array() -> None:
    row = {"id": 1, "kind": "news", "dated_utc": None, "title": "", "text": AWKWARD[5] * 9}
    fp = clusters.fingerprint(row)
    assert fp.shingles == frozenset(ref_shingles("", row["text"]).tolist())
    legal = clusters.fingerprint({**row, "kind": "law"})
    assert (legal.shingles, legal.keys) == (frozenset(), [])


def stores(tmp_path: Path) -> tuple[Store, Store]:
    return (
        Store.open(tmp_path / "new.db"),
        Store.open(tmp_path / "ref.db"),
    )


def dump(store: Store) -> tuple[list[Any], list[Any]]:
    docs = list(store.db.execute("SELECT id, cluster_id, cluster_sha FROM documents ORDER BY id"))
    bands = list(store.db.execute("SELECT band_key, document_id FROM minhash_bands ORDER BY 1, 2"))
    return docs, bands


@pytest.mark.parametrize("batch", [1, 7, 40, 500])
def test_assign_matches_the_reference_within_and_across_batches(tmp_path: Path, batch: int) -> None:
    """Reposts land in one batch and in different ones; later some texts change, so documents
    leave their clusters while their old band keys are still stored for the ones before them
    in the batch; a law page and far-apart dates are never merged."""
    new, ref = stores(tmp_path)
    docs = generated(40, seed=batch)
    docs[3].kind = "law"
    docs[5].published_at = "2025-01-01T10:00:00+05:00"
    rng = random.Random(batch)
    with new, ref:
        for store, run in ((new, clusters.assign), (ref, ref_assign)):
            store.upsert_documents(docs)
            ids = [r[0] for r in store.db.execute("SELECT id FROM documents ORDER BY id")]
            for start in range(0, len(ids), batch):
                run(store, ids[start : start + batch])
        assert dump(new) == dump(ref)
        assert len({r[1] for r in dump(ref)[0]}) < len(docs)  # some stories really merged
        # New versions: some texts swapped with other stories' texts, some unchanged.
        texts = [d.text for d in docs]
        changed = rng.sample(range(len(docs)), len(docs) // 3)
        for i in changed:
            docs[i] = replace(docs[i], text=texts[rng.randrange(len(texts))] + " Обн.", sha256="")
        for store, run in ((new, clusters.assign), (ref, ref_assign)):
            store.upsert_documents([docs[i] for i in changed])
            ids = [r[0] for r in store.db.execute("SELECT id FROM documents ORDER BY id")]
            rng_batches = random.Random(batch)
            start = 0
            while start < len(ids):
                size = rng_batches.randrange(1, batch + 1)
                run(store, ids[start : start + size])
                start += size
        assert dump(new) == dump(ref)
        assert clusters.assign(new, ids).documents == 0


def test_a_whole_batch_of_copies_matches_the_reference(tmp_path: Path) -> None:
    """Every document of one batch is a copy of the others, some already clustered."""
    new, ref = stores(tmp_path)
    base = generated(1, seed=3)[0]
    copies = [
        NewDocument(
            url=f"https://news.example/copy/{i}",
            text=base.text + f" Копия {i}.",
            source=f"outlet{i}",
            published_at=base.published_at,
        )
        for i in range(12)
    ]
    with new, ref:
        for store, run in ((new, clusters.assign), (ref, ref_assign)):
            store.upsert_documents(copies[:4])
            run(store, [1, 2, 3, 4])
            store.upsert_documents(copies[4:])
            store.upsert_documents(
                [replace(doc, text=doc.text + " Дополнено.", sha256="") for doc in copies[:2]]
            )
            run(store, list(range(1, 13)))
        assert dump(new) == dump(ref)
        assert {r[1] for r in dump(new)[0]} == {1}


def story(seed: int, n: int) -> str:
    rng = random.Random(seed)
    return " ".join(f"слово{rng.randrange(10**6)}" for _ in range(n))


def keys_of(text: str) -> set[int]:
    return set(ref_band_keys(ref_signature(ref_shingles("", text))))


def test_band_keys_of_a_document_changed_earlier_in_the_batch_are_gone(tmp_path: Path) -> None:
    """A document re-clustered earlier in the batch no longer answers by its old keys.

    `changed` was a copy of `long`; its new text is an excerpt of `long` (the same story by
    containment) sharing no band key with it. When `long` comes up later in the same batch,
    the old code's query no longer finds `changed` (its old keys were deleted when it was
    re-clustered), so the two stay apart: an LSH miss, kept as it was.
    """
    long = story(1, 600)
    excerpt = " ".join(long.split()[300:340])
    assert not keys_of(excerpt) & keys_of(long)
    assert clusters.same_story(
        frozenset(ref_shingles("", excerpt).tolist()), frozenset(ref_shingles("", long).tolist())
    )
    new, ref = stores(tmp_path)
    with new, ref:
        reports = []
        for store, run in ((new, clusters.assign), (ref, ref_assign)):
            store.upsert_documents([NewDocument(url="https://a.kz/1", text=long, source="a")])
            run(store, [1])
            store.upsert_documents(
                [
                    NewDocument(url="https://a.kz/1", text=excerpt, source="a"),
                    NewDocument(url="https://b.kz/2", text=long, source="b"),
                ]
            )
            reports.append(run(store, [1, 2]))
        assert dump(new) == dump(ref)
        assert reports[0] == reports[1] == clusters.ClusterReport(documents=2, joined=0)
        assert [r[1] for r in dump(new)[0]] == [1, 2]


def test_band_keys_of_a_document_changed_later_in_the_batch_still_answer(tmp_path: Path) -> None:
    """Until a document of the batch is re-clustered its old keys are still stored, and a
    document before it finds it by them (and compares its new text), as the old code did."""
    long = story(2, 600)
    excerpt = " ".join(long.split()[100:140])
    assert not keys_of(excerpt) & keys_of(long)
    new, ref = stores(tmp_path)
    with new, ref:
        reports = []
        for store, run in ((new, clusters.assign), (ref, ref_assign)):
            store.upsert_documents(
                [
                    NewDocument(url="https://b.kz/1", text=long, source="b"),
                    NewDocument(url="https://a.kz/2", text=long + " Обн.", source="a"),
                ]
            )
            run(store, [2])
            store.upsert_documents([NewDocument(url="https://a.kz/2", text=excerpt, source="a")])
            reports.append(run(store, [1, 2]))
        assert dump(new) == dump(ref)
        assert reports[0] == reports[1] == clusters.ClusterReport(documents=2, joined=1)
