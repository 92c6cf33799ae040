"""Search: NEAR with a distance, and snippets marked when only a word form matched."""

from __future__ import annotations

import json

import pytest

from kuzet.annotate import annotate
from kuzet.documents import NewDocument
from kuzet.search import find, prepare_query, result_record
from kuzet.snippets import query_phrases
from kuzet.store import HL_END, HL_START, Store

FILLER = " ".join(f"слово{n}" for n in range(30))
CLOSE = "https://example.kz/close"
FAR = "https://example.kz/far"


@pytest.fixture
def near_store(sample_store: Store) -> Store:
    sample_store.upsert_documents(
        [
            NewDocument(CLOSE, "Активисты подали жалобу в суд на решение акимата.", "test"),
            NewDocument(FAR, f"Активисты говорили долго. {FILLER}. Жалобу приняли.", "test"),
        ]
    )
    return sample_store


@pytest.mark.parametrize(
    "query", ["NEAR(активисты жалобу, 3)", "NEAR(активисты жалобу,3)", "NEAR(активисты жалобу , 3)"]
)
def test_near_with_a_distance_finds_words_close_together(near_store: Store, query: str) -> None:
    assert prepare_query(query, lambda _: {"x"}) == "NEAR ( активисты жалобу , 3 )"
    found = [r["url"] for r in find(near_store, query)]
    assert found == [CLOSE]  # the far one has 32 words between them


def test_near_without_a_distance_uses_the_default_of_ten(near_store: Store) -> None:
    found = {r["url"] for r in find(near_store, "NEAR(активисты жалобу)")}
    assert found == {CLOSE}
    found = {r["url"] for r in find(near_store, "NEAR(активисты жалобу, 40)")}
    assert found == {CLOSE, FAR}


def test_query_phrases_leave_out_syntax_not_and_near() -> None:
    tokens = ["гей", "AND", "(", '"жыныстық бағдар"', "OR", "полиц*", ")", "NOT", "спорт"]
    assert query_phrases(tokens) == ["гей", "жыныстық бағдар"]
    assert query_phrases(["NEAR", "(", "a", "b", ",", "3", ")", "title:c", "d"]) == ["d"]
    assert query_phrases(["NOT", "(", "a", "OR", "b", ")", "c"]) == ["c"]


def test_word_form_matches_get_a_marked_snippet(sample_store: Store) -> None:
    annotate(sample_store)
    hits = list(find(sample_store, "гей", limit=50))
    extortion = next(h for h in hits if "60001-sample-police-extortion" in h["url"])
    text = sample_store.document_text(extortion["id"])
    assert "гей " not in text.lower()  # only a word form is in the text
    assert "геев" in text
    assert f"{HL_START}геев{HL_END}" in extortion["snippet"]
    assert all(HL_START in h["snippet"] for h in hits)
    record = result_record(extortion)
    assert "**геев**" in record["snippet"]
    assert len(record["snippet"].split()) <= 26


def test_json_search_marks_word_forms(run) -> None:
    from tests.conftest import SAMPLE

    assert run("import", str(SAMPLE)).exit_code == 0
    assert run("annotate").exit_code == 0
    hits = json.loads(run("search", "гей", "--format", "json", "--limit", "5").stdout)
    assert hits
    assert all("**" in h["snippet"] for h in hits)


def test_phrases_of_word_forms_are_marked_whole(store: Store) -> None:
    url = "https://example.kz/kk"
    text = "Бүгін депутаттар жыныстық бағдарына қатысты түзетуді талқылады."
    store.upsert_documents([NewDocument(url, text, "test", lang="kk")])
    annotate(store)
    hit = next(iter(find(store, '"жыныстық бағдар"')))
    assert f"{HL_START}жыныстық бағдарына{HL_END}" in hit["snippet"]
