"""Story clusters: MinHash LSH against brute force, incremental updates, `search --fold`."""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys

from kuzet import clusters
from kuzet.documents import NewDocument
from kuzet.store import Store
from tests.conftest import ROOT, SAMPLE
from tests.digest_helpers import distinct_text, put, sql

STORED = "2026-11-30T06:00:00+00:00"
SYNDICATED = ROOT / "data" / "sample" / "syndicated.jsonl"


def sample_texts() -> dict[str, tuple[str, str]]:
    rows = [
        json.loads(line)
        for path in (SAMPLE, SYNDICATED)
        for line in path.read_text("utf-8").splitlines()
    ]
    return {r["url"]: (r["title"], r["text"]) for r in rows}


def fingerprint_set(title: str, text: str) -> frozenset[int]:
    return frozenset(clusters.shingles(title, text).tolist())


def test_reposts_are_the_same_story_and_other_stories_are_not() -> None:
    docs = sample_texts()
    vlast = fingerprint_set(*docs["https://vlast.kz/novosti/60001-sample-police-extortion.html"])
    orda = fingerprint_set(
        *docs["https://orda.kz/v-almaty-zaderzhali-policejskih-za-vymogatelstvo-401190/"]
    )  # a lead added, the last paragraph dropped
    other = fingerprint_set(
        *docs[
            "https://tengrinews.kz/kazakhstan_news/"
            "napadenie-na-parnya-v-karagande-delo-peredano-v-sud-571204/"
        ]
    )  # another attack story, same topic and vocabulary
    assert clusters.same_story(vlast, orda)
    assert not clusters.same_story(vlast, other)
    jaccard, _ = clusters.similarity(vlast, other)
    assert jaccard < 0.05


def test_normalisation_ignores_case_yo_and_punctuation() -> None:
    a = clusters.shingles("", "Ещё один ГЕЙ-клуб, закрыт!")
    b = clusters.shingles("", "еще один гей клуб закрыт")
    assert a.tolist() == b.tolist()


def test_band_keys_are_the_same_in_another_process() -> None:
    text = "Суд оштрафовал двух активистов за пост о квир-фестивале в Алматы"
    here = clusters.band_keys(clusters.signature(clusters.shingles("", text)))
    code = (
        "from kuzet import clusters as c; import json; "
        f"print(json.dumps(c.band_keys(c.signature(c.shingles('', {text!r})))))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == here
    assert len(set(here)) == clusters.BANDS


def variant(rng: random.Random, sentences: list[str]) -> str:
    """A re-post: a lead added, a sentence dropped or a word changed."""
    out = list(sentences)
    if rng.random() < 0.5:
        out.pop(rng.randrange(len(out)))
    if rng.random() < 0.5:
        out.insert(0, f"Как сообщает издание номер {rng.randrange(100)}.")
    words = " ".join(out).split()
    words[rng.randrange(len(words))] = "изменено"
    return " ".join(words)


def generated(n_stories: int, seed: int = 7) -> list[NewDocument]:
    rng = random.Random(seed)
    vocabulary = [f"слово{i}" for i in range(3000)]
    docs = []
    for story in range(n_stories):
        sentences = [" ".join(rng.choices(vocabulary, k=12)) + "." for _ in range(8)]
        copies = [" ".join(sentences)] + [
            variant(rng, sentences) for _ in range(rng.choice([0, 0, 1, 2, 3]))
        ]
        for k, text in enumerate(copies):
            docs.append(
                NewDocument(
                    url=f"https://news.example/{story}/{k}",
                    text=text,
                    source=f"outlet{k}",
                    published_at="2026-11-30T10:00:00+05:00",
                )
            )
    rng.shuffle(docs)
    return docs


def test_lsh_clusters_agree_with_brute_force(store: Store) -> None:
    store.upsert_documents(generated(120))
    report = clusters.cluster_pending(store)
    assert report.documents == store.count_documents()
    ids = [r[0] for r in sql(store.path, "SELECT id FROM documents")]
    rows = store.documents_for_clustering(ids)
    shingle_sets = {r["id"]: fingerprint_set(r["title"], r["text"]) for r in rows}
    pairs = {
        (a, b)
        for a, b in itertools.combinations(sorted(shingle_sets), 2)
        if clusters.same_story(shingle_sets[a], shingle_sets[b])
    }
    assert len(pairs) > 50  # the generated reposts really are near-duplicates
    cluster_of = dict(sql(store.path, "SELECT id, cluster_id FROM documents"))
    assert all(cluster_of[a] == cluster_of[b] for a, b in pairs)  # recall 1.0 here
    story_of = {r[0]: r[1].split("/")[3] for r in sql(store.path, "SELECT id, url FROM documents")}
    for a, b in itertools.combinations(cluster_of, 2):  # and nothing else was merged
        assert (cluster_of[a] == cluster_of[b]) == (story_of[a] == story_of[b])
    assert all(
        cid == min(i for i in cluster_of if cluster_of[i] == cid) for cid in cluster_of.values()
    )


def test_changed_text_leaves_the_cluster_and_the_rest_keep_one(store: Store) -> None:
    story = distinct_text(1)
    a = put(store, STORED, url="https://vlast.kz/a", text=story)
    b = put(store, STORED, url="https://orda.kz/b", source="orda", text=story + " Источник Vlast.")
    c = put(store, STORED, url="https://nur.kz/c", source="nur", text="Читайте. " + story)
    assert {r[0] for r in sql(store.path, "SELECT cluster_id FROM documents")} == {a}
    put(store, STORED, url="https://vlast.kz/a", text=distinct_text(2))  # a new version of a
    assert dict(sql(store.path, "SELECT id, cluster_id FROM documents")) == {a: a, b: b, c: b}
    assert sql(store.path, "SELECT count(*) FROM minhash_bands WHERE document_id = ?", a) == [
        (clusters.BANDS,)
    ]


def test_clustering_again_without_a_change_does_nothing(store: Store) -> None:
    story = distinct_text(1)
    a = put(store, STORED, url="https://vlast.kz/a", text=story)
    put(store, STORED, url="https://orda.kz/b", source="orda", text=story + " Источник Vlast.")
    before = sql(store.path, "SELECT * FROM minhash_bands ORDER BY 1, 2")
    assert clusters.assign(store, [a]).documents == 0  # e.g. annotated again under new rules
    assert clusters.cluster_pending(store).documents == 0
    assert sql(store.path, "SELECT * FROM minhash_bands ORDER BY 1, 2") == before


def test_a_bridging_article_merges_two_clusters(store: Store) -> None:
    first, second = distinct_text(1), distinct_text(2)
    a = put(store, STORED, url="https://vlast.kz/a", text=first)
    b = put(store, STORED, url="https://orda.kz/b", source="orda", text=second)
    c = put(store, STORED, url="https://nur.kz/c", source="nur", text=f"{first} {second}")
    assert dict(sql(store.path, "SELECT id, cluster_id FROM documents")) == {a: a, b: a, c: a}


def test_legal_documents_and_distant_dates_are_never_merged(store: Store) -> None:
    text = distinct_text(1)
    put(store, STORED, url="https://adilet.zan.kz/1", kind="law", source="adilet", text=text)
    put(store, STORED, url="https://adilet.zan.kz/2", kind="law", source="adilet", text=text)
    put(
        store,
        STORED,
        url="https://vlast.kz/old",
        text=text,
        published_at="2026-01-01T10:00:00+05:00",
    )
    put(
        store,
        STORED,
        url="https://orda.kz/new",
        text=text,
        published_at="2026-05-01T10:00:00+05:00",
    )
    ids = sql(store.path, "SELECT count(DISTINCT cluster_id) FROM documents")
    assert ids == [(4,)]
    assert sql(
        store.path,
        "SELECT count(*) FROM minhash_bands b JOIN documents d ON "
        "d.id = b.document_id WHERE d.kind = 'law'",
    ) == [(0,)]


# -- search --fold -------------------------------------------------------------------------


def fold_store(store: Store) -> None:
    story = "Суд оштрафовал активистов за пост о квир-фестивале. " + distinct_text(1)
    put(store, STORED, url="https://vlast.kz/1", text=story, title="Штраф за квир-фестиваль")
    put(store, STORED, url="https://orda.kz/2", source="orda", text=story + " Vlast.")
    put(store, STORED, url="https://nur.kz/3", source="nur", text="Читайте. " + story)
    put(
        store,
        STORED,
        url="https://zakon.kz/4",
        source="zakon",
        text="Квир-фестиваль в Алматы отменили. " + distinct_text(5),
    )


def test_search_fold_shows_a_story_once(run, store: Store) -> None:
    fold_store(store)
    plain = run("search", "квир*", "--format", "json")
    assert len(json.loads(plain.output)) == 4
    folded = run("search", "квир*", "--fold", "--format", "json")
    assert folded.exit_code == 0, folded.output
    hits = json.loads(folded.output)
    assert len(hits) == 2
    story = next(h for h in hits if h["folded"])
    assert story["folded"] == 2
    assert set(story["also_sources"]) | {story["source"]} == {"vlast", "orda", "nur"}
    alone = next(h for h in hits if not h["folded"])
    assert (alone["source"], alone["also_sources"]) == ("zakon", [])
    by_date = run("search", "--fold", "--sort", "date", "--format", "json")
    assert len(json.loads(by_date.output)) == 2


def test_search_fold_table_and_csv(run, store: Store) -> None:
    fold_store(store)
    table = run("search", "квир*", "--fold")
    assert table.exit_code == 0, table.output
    assert "same story: 2 more hit(s) folded; also reported by" in table.output
    csv = run("search", "квир*", "--fold", "--format", "csv")
    assert csv.output.splitlines()[0].endswith(",cluster_id,folded,also_sources")
    assert len(csv.output.splitlines()) == 3
