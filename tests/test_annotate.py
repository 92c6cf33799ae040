"""`kuzet annotate`, `classify` and `eval`: flags stored with evidence, search by word forms."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kuzet import annotate as annotating
from kuzet.annotate import annotate
from kuzet.search import find
from kuzet.store import Store
from tests.conftest import SAMPLE

EXTORTION = "https://vlast.kz/novosti/60001-sample-police-extortion.html"
KAZAKH = "https://www.azattyq.org/a/60002-sample.html"
HRW = "https://www.hrw.org/news/2026/10/01/sample-kazakhstan-propaganda-law"


def urls(rows: object) -> list[str]:
    return [r["url"] for r in rows]


def test_annotate_stores_topics_evidence_lemmas_and_detected_language(
    sample_store: Store,
) -> None:
    report = annotate(sample_store)
    assert report.annotated == sample_store.count_documents()
    doc = sample_store.get_document(EXTORTION)
    assert {"sogi", "hate_crime"} <= set(doc["topics"])
    assert doc["rules_version"] == report.rules_version
    flagged = [a for a in doc["annotations"] if a["flagged"]]
    assert {a["topic"] for a in flagged} == set(doc["topics"])
    for annotation in flagged:
        assert annotation["evidence"]
        for ev in annotation["evidence"]:
            field = doc["title"] if ev["field"] == "title" else doc["text"]
            assert field[ev["start"] : ev["end"]] == ev["text"]
    lemmas = sample_store.db.execute("SELECT lemmas FROM documents WHERE url = ?", [EXTORTION])
    assert "вымогательство" in lemmas.fetchone()[0].split()
    refs = doc["legal_refs"]
    assert any(r["label"] == "ARTICLE" and r["attrs"].get("article") == "174" for r in refs)


def test_annotate_twice_does_nothing_the_second_time(sample_store: Store) -> None:
    annotate(sample_store)
    assert annotate(sample_store).annotated == 0


def test_new_rules_version_reannotates_without_recrawling(
    sample_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = annotate(sample_store)
    monkeypatch.setattr(annotating, "rules_version", lambda: "changed-rules")
    again = annotate(sample_store)
    assert again.annotated == first.annotated
    versions = sample_store.db.execute(
        "SELECT DISTINCT rules_version FROM annotations ORDER BY 1"
    ).fetchall()
    assert [v[0] for v in versions] == sorted([first.rules_version, "changed-rules"])


def _stored(store: Store) -> list[tuple[object, ...]]:
    """Everything annotate writes, without times."""
    rows = store.db.execute(
        "SELECT id, lang, lemmas, topics, rules_version FROM documents ORDER BY id"
    ).fetchall()
    rows += store.db.execute(
        "SELECT document_id, topic, score, flagged, evidence, doc_version FROM annotations "
        "ORDER BY document_id, topic"
    ).fetchall()
    rows += store.db.execute(
        "SELECT document_id, seq, label, text, field, start_char, end_char, attrs "
        "FROM legal_refs ORDER BY document_id, seq"
    ).fetchall()
    return rows


@pytest.mark.parametrize("pool_batches", [10, 1])  # 1: fresh workers every two batches
def test_worker_processes_store_what_one_process_stores(
    sample_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool_batches: int
) -> None:
    monkeypatch.setattr(annotating, "BATCH", 4)  # several batches in flight at once
    monkeypatch.setattr(annotating, "POOL_BATCHES", pool_batches)
    monkeypatch.setattr(annotating, "SAVE_BATCH", 6)  # saved two batches at a time
    sample_store.db.conn.commit()
    copy = Store.open(tmp_path / "copy.db")
    sample_store.db.conn.backup(copy.db.conn)
    seen: list[int] = []
    report = annotate(sample_store, workers=1)
    parallel = annotate(copy, workers=2, progress=seen.append)
    assert parallel.annotated == report.annotated == sum(seen) > 8
    assert all(size == 8 for size in seen[:-1])  # two analysed batches per transaction
    assert parallel.flagged == report.flagged
    assert _stored(copy) == _stored(sample_store)
    copy.close()


def test_batches_are_grouped_in_order_for_saving() -> None:
    batches = [[{"id": i} for i in range(start, start + 3)] for start in (0, 3, 6, 9)]
    groups = list(annotating._grouped(iter(batches), 5))
    assert [[d["id"] for d in g] for g in groups] == [list(range(6)), list(range(6, 12))]
    assert list(annotating._grouped(iter([]), 5)) == []
    assert [len(g) for g in annotating._grouped(iter(batches[:1]), 5)] == [3]


def test_large_runs_use_worker_processes_small_ones_do_not() -> None:
    assert annotating.auto_workers(annotating.PARALLEL_MIN - 1) == 1
    many = annotating.auto_workers(annotating.PARALLEL_MIN)
    assert 1 <= many <= annotating.MAX_WORKERS
    assert many == min(annotating.MAX_WORKERS, os.cpu_count() or 1)


def test_changed_text_is_annotated_again(sample_store: Store) -> None:
    from kuzet.documents import NewDocument

    annotate(sample_store)
    sample_store.upsert_documents(
        [NewDocument(url=EXTORTION, source="vlast", text="Погода в Алматы: солнечно и тепло.")]
    )
    report = annotate(sample_store)
    assert report.annotated == 1
    assert sample_store.get_document(EXTORTION)["topics"] == []


@pytest.mark.parametrize(
    ("query", "url"),
    [
        ("гей", EXTORTION),
        ("вымогательства", EXTORTION),
        ("бағдар", KAZAKH),
        ("discriminated", HRW),
        ('"жыныстық бағдар"', KAZAKH),
    ],
)
def test_search_matches_inflected_forms_after_annotation(
    sample_store: Store, query: str, url: str
) -> None:
    annotate(sample_store)
    assert url in urls(find(sample_store, query, limit=50))


def test_query_words_are_normalised_like_the_text(sample_store: Store) -> None:
    annotate(sample_store)
    # a form no sample text uses: only its normal form can find anything
    assert list(find(sample_store, "дискриминациями", lemmas=False)) == []
    assert list(find(sample_store, "дискриминациями", lemmas=True))


def test_annotate_cli_reports_counts(run) -> None:
    run("import", str(SAMPLE))
    result = run("annotate")
    assert result.exit_code == 0, result.output
    assert "annotated 31 documents" in result.stdout
    assert "flagged: sogi" in result.stdout
    again = run("annotate", "--limit", "5")
    assert "annotated 0 documents" in again.stdout
    bad = run("annotate", "--since", "last week")
    assert bad.exit_code == 2


def test_classify_reads_argument_or_stdin(run) -> None:
    text = "Полицейские вымогали деньги у геев, угрожая раскрыть их сексуальную ориентацию."
    from_arg = json.loads(run("classify", text).stdout)
    from_stdin = json.loads(run("classify", "--lang", "ru", input=text).stdout)
    assert from_arg["lang"] == from_stdin["lang"] == "ru"
    assert from_arg["topics"]["sogi"]["score"] == from_stdin["topics"]["sogi"]["score"] > 0
    assert from_arg["topics"]["sogi"]["evidence"][0]["rule"].startswith("sogi.ru.")


def test_eval_scores_a_corpus_and_names_bad_lines(run, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    items = [
        {
            "id": "a",
            "lang": "ru",
            "text": "Полицейские вымогали деньги у геев, угрожая раскрыть "
            "их сексуальную ориентацию. Шантаж геев стал системой.",
            "labels": ["sogi", "hate_crime"],
        },
        {
            "id": "b",
            "lang": "en",
            "text": "Wheat harvest is expected to grow this year.",
            "labels": [],
        },
    ]
    lines = [json.dumps(i, ensure_ascii=False) for i in items]
    corpus.write_text(lines[0] + "\n{broken\n" + lines[1] + "\n", encoding="utf-8")
    result = run("eval", str(corpus), "--json")
    assert result.exit_code == 0
    assert f"{corpus}:2:" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["n"] == 2
    assert set(summary["topics"]) == {"sogi", "hate_crime", "anti_discrimination"}
    assert summary["topics"]["sogi"]["recall"] == 1.0
    assert set(summary["by_lang"]) == {"ru", "en"}
    text = run("eval", str(corpus))
    assert "macro-F1" in text.stdout


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_is_as_it_was_after_a_run(sample_store: Store, enabled: bool) -> None:
    import gc

    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        seen: list[bool] = []
        report = annotate(sample_store, progress=lambda _n: seen.append(gc.isenabled()))
        assert report.annotated > 0
        assert seen == [False] * len(seen)  # held back during the run
        assert seen
        assert gc.isenabled() is enabled
        assert gc.get_freeze_count() == 0
    finally:
        (gc.enable if was else gc.disable)()


def test_collector_comes_back_after_a_failed_run(
    sample_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    def broken(docs: list[dict[str, object]]) -> list[dict[str, object]]:
        raise RuntimeError("analysis broke")

    monkeypatch.setattr(annotating, "_annotate_batch", broken)
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="analysis broke"):
        annotate(sample_store, workers=1)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
