"""Full-text search: query preparation, filters, ranking, snippets, and malformed input."""

from __future__ import annotations

import json

import pytest

from kuzet.errors import FilterError, SearchSyntaxError
from kuzet.search import find, prepare_query
from kuzet.store import HL_END, HL_START, Store

EXTORTION = "https://vlast.kz/novosti/60001-sample-police-extortion.html"
KAZAKH = "https://www.azattyq.org/a/60002-sample.html"
HRW = "https://www.hrw.org/news/2026/10/01/sample-kazakhstan-propaganda-law"


def urls(rows: object) -> list[str]:
    return [r["url"] for r in rows]


@pytest.mark.parametrize(
    ("query", "prepared"),
    [
        ("ЛГБТ-пропаганда", '"ЛГБТ-пропаганда"'),
        ("ЛГБТ-пропаг*", '"ЛГБТ-пропаг" *'),
        ("гей AND (полиция OR вымогательство)", "гей AND ( полиция OR вымогательство )"),
        ('"жыныстық бағдарға" NOT спорт', '"жыныстық бағдарға" NOT спорт'),
        ("title:кемсіту", "title:кемсіту"),
        ("title:Z1800000169-ru", 'title:"Z1800000169-ru"'),
        ("ст.174", '"ст.174"'),
        ("nosuch:word", '"nosuch:word"'),
        ("   ", None),
    ],
)
def test_prepare_query(query: str, prepared: str | None) -> None:
    assert prepare_query(query) == prepared


@pytest.mark.parametrize("query", ['"unbalanced', 'a "b" "c', "гей -спорт"])
def test_prepare_query_refuses_what_fts5_would_misread(query: str) -> None:
    with pytest.raises(SearchSyntaxError, match="malformed search query"):
        prepare_query(query)


@pytest.mark.parametrize("query", ["AND OR", "NEAR(", "( гей", "гей OR", "NOT гей"])
def test_fts5_syntax_errors_become_search_syntax_errors(sample_store: Store, query: str) -> None:
    with pytest.raises(SearchSyntaxError, match="malformed search query"):
        list(find(sample_store, query))


def test_finds_known_sample_documents_in_each_language(sample_store: Store) -> None:
    assert EXTORTION in urls(find(sample_store, "вымогательство"))
    assert KAZAKH in urls(find(sample_store, '"жыныстық бағдарға"'))
    assert HRW in urls(find(sample_store, "propaganda AND LGBT"))


def test_prefix_query_matches_other_word_forms(sample_store: Store) -> None:
    assert EXTORTION in urls(find(sample_store, "полицейск*"))


def test_results_carry_highlighted_snippet_and_score(sample_store: Store) -> None:
    hits = list(find(sample_store, "вымогательство"))
    top = next(h for h in hits if h["url"] == EXTORTION)
    assert f"{HL_START}вымогательство{HL_END}".lower() in top["snippet"].lower() + (
        top["title_hl"].lower()
    )
    assert all(h["score"] is not None for h in hits)
    assert [h["score"] for h in hits] == sorted(h["score"] for h in hits)


def test_title_matches_rank_above_body_matches(store: Store) -> None:
    from kuzet.documents import NewDocument

    store.upsert_documents(
        [
            NewDocument(
                url="https://a.kz/1",
                source="a",
                title="Обычные новости",
                text="Длинный текст. " * 20 + "Упомянута дискриминация.",
            ),
            NewDocument(
                url="https://a.kz/2",
                source="a",
                title="Дискриминация на работе",
                text="Длинный текст. " * 20,
            ),
        ]
    )
    assert urls(find(store, "дискриминация")) == ["https://a.kz/2", "https://a.kz/1"]


def test_filters_narrow_results(sample_store: Store) -> None:
    everything = list(find(sample_store, None, limit=None))
    assert len(everything) == sample_store.count_documents()
    for lang in ("ru", "kk", "en"):
        rows = list(find(sample_store, None, lang=lang, limit=None))
        assert rows
        assert {r["lang"] for r in rows} == {lang}
    rows = list(find(sample_store, None, source="vlast", kind="news", limit=None))
    assert rows
    assert {(r["source"], r["kind"]) for r in rows} == {("vlast", "news")}


def test_date_filters_and_date_sort(sample_store: Store) -> None:
    rows = list(find(sample_store, None, since="2026-10-01", until="2026-10-31", limit=None))
    assert rows
    assert all("2026-09-30T19:00:00Z" <= r["dated_utc"] <= "2026-10-31T18:59:59Z" for r in rows)
    dates = [r["dated_utc"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    outside = list(find(sample_store, None, until="2026-09-30", limit=None))
    assert not {r["id"] for r in rows} & {r["id"] for r in outside}


def test_topic_filter_uses_flagged_topics(sample_store: Store) -> None:
    doc_id = sample_store.get_document(EXTORTION)["id"]
    sample_store.db.execute(
        "UPDATE documents SET topics = ? WHERE id = ?", [json.dumps(["hate_crime"]), doc_id]
    )
    sample_store.db.conn.commit()
    assert [r["id"] for r in find(sample_store, None, topic="hate_crime")] == [doc_id]
    assert list(find(sample_store, None, topic="sogi")) == []


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"lang": "xx"}, "unknown language 'xx'"),
        ({"topic": "weather"}, "unknown topic 'weather'"),
        ({"kind": "blog"}, "unknown kind 'blog'"),
        ({"source": "nosuchsite"}, "unknown source 'nosuchsite'"),
        ({"since": "yesterday"}, "--since 'yesterday' is not a date"),
        ({"until": "2026-13-45"}, "--until '2026-13-45' is not a date"),
        ({"since": "2026-10-02", "until": "2026-10-01"}, "is after --until"),
    ],
)
def test_unknown_filter_values_are_refused(
    sample_store: Store, filters: dict, message: str
) -> None:
    with pytest.raises(FilterError, match=message):
        find(sample_store, "гей", **filters)
