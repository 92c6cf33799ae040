"""Search facets: filter tokens in the full-text index give exactly the SQL filters' results."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest

from kuzet.documents import NewDocument
from kuzet.search import find, make_filters
from kuzet.store import Store
from kuzet.store.facets import date_terms, facet_match


def covered(terms: list[str]) -> set[date]:
    """Every day the year/month/day tokens stand for."""
    days: set[date] = set()
    for term in terms:
        kind, digits = term[:2], term[2:]
        if kind == "zd":
            days.add(date(int(digits[:4]), int(digits[4:6]), int(digits[6:])))
            continue
        first = date(int(digits[:4]), int(digits[4:6]) if kind == "zm" else 1, 1)
        day = first
        while (day.year, day.month if kind == "zm" else 1) == (
            first.year,
            first.month if kind == "zm" else 1,
        ):
            days.add(day)
            day += timedelta(days=1)
    return days


@pytest.mark.parametrize(
    ("first", "last", "terms"),
    [
        (date(2024, 3, 1), date(2024, 5, 29), ["zm202403", "zm202404", "zm202405"]),
        (date(2023, 12, 30), date(2025, 1, 2), ["zm202312", "zy2024", "zm202501"]),
        (date(2024, 2, 29), date(2024, 2, 29), ["zm202402"]),
        (date(2024, 1, 1), date(2024, 12, 31), ["zy2024"]),
        (date(2024, 1, 2), date(2024, 12, 31), [f"zm2024{m:02d}" for m in range(1, 13)]),
    ],
)
def test_date_terms_cover_the_range_in_whole_months(
    first: date, last: date, terms: list[str]
) -> None:
    assert date_terms(first, last) == terms
    days = {first + timedelta(days=i) for i in range((last - first).days + 1)}
    cover = covered(terms)
    assert days <= cover
    assert min(cover) == first.replace(day=1)
    assert max(cover).month == last.month


def test_facet_match_restricts_the_query_to_text_columns() -> None:
    match = facet_match('"гей"', topic="hate_crime", lang="ru")
    assert match == '{title text lemmas} : ("гей") AND facets : zthatecrime AND facets : zlru'


def test_a_topic_over_some_months_uses_the_combined_tokens() -> None:
    match = facet_match("x", topic="sogi", first=date(2024, 2, 29), last=date(2024, 5, 29))
    combined = "ztsogi202402 OR ztsogi202403 OR ztsogi202404 OR ztsogi202405"
    assert match == f"{{title text lemmas}} : (x) AND facets : ({combined})"
    years = facet_match("x", topic="sogi", first=date(2020, 1, 1), last=date(2024, 12, 31))
    assert "facets : ztsogi AND facets : (zy2020 OR zy2021" in years  # too many months


@pytest.fixture
def random_store(store: Store) -> tuple[Store, list[NewDocument], dict[str, list[str]]]:
    rng = random.Random(7)
    docs, topics = [], {}
    start = date(2023, 11, 1)
    for i in range(400):
        when = start + timedelta(days=rng.randrange(500), hours=rng.randrange(24))
        words = " ".join(rng.choice(["alpha", "beta", "gamma", "delta"]) for _ in range(5))
        doc = NewDocument(
            url=f"https://example.org/{i}",
            text=words,
            source="example",
            kind=rng.choice(["news", "law"]),
            lang=rng.choice(["ru", "kk", "en"]),
            published_at=f"{when.isoformat()}T{rng.randrange(24):02d}:30:00+05:00",
        )
        docs.append(doc)
        topics[doc.url] = rng.sample(
            ["sogi", "hate_crime", "anti_discrimination"], rng.randrange(3)
        )
    store.upsert_documents(docs)
    for url, flagged in topics.items():
        store.db.execute(
            "UPDATE documents SET topics = ? WHERE url = ?", [json.dumps(flagged), url]
        )
    return store, docs, topics


@pytest.mark.parametrize(
    "filters",
    [
        {"topic": "hate_crime"},
        {"topic": "sogi", "since": "2024-03-01", "until": "2024-05-29"},
        {"lang": "kk", "kind": "law", "since": "2024-12-31"},
        {"until": "2024-01-01"},
        {"since": "2024-02-29T23:30:00+05:00", "until": "2024-03-20T00:10:00+05:00"},
    ],
)
def test_faceted_search_equals_plain_filtering(random_store: tuple, filters: dict) -> None:
    store, _docs, _topics = random_store
    found = {r["url"] for r in find(store, "alpha OR gamma", limit=None, **filters)}
    sql = "SELECT url FROM documents WHERE (text LIKE '%alpha%' OR text LIKE '%gamma%')"
    expected = {r["url"] for r in find(store, None, limit=None, **filters)}
    expected &= {row[0] for row in store.db.execute(sql)}
    assert found == expected
    assert found  # the filters select something in this data


def test_facets_follow_topic_changes(random_store: tuple) -> None:
    store, docs, _topics = random_store
    url = docs[0].url
    store.db.execute(
        "UPDATE documents SET topics = '[\"anti_discrimination\"]' WHERE url = ?", [url]
    )
    hits = {
        r["url"]
        for r in find(
            store, "alpha OR beta OR gamma OR delta", topic="anti_discrimination", limit=None
        )
    }
    assert url in hits
    store.db.execute("UPDATE documents SET topics = '[]' WHERE url = ?", [url])
    hits = {
        r["url"]
        for r in find(
            store, "alpha OR beta OR gamma OR delta", topic="anti_discrimination", limit=None
        )
    }
    assert url not in hits


def test_query_words_never_match_facet_tokens(random_store: tuple) -> None:
    store, *_ = random_store
    assert list(find(store, "zt*", limit=None)) == []
    assert list(find(store, "zlru", limit=None)) == []


@pytest.mark.parametrize("sort", ["rank", "date"])
@pytest.mark.parametrize("filters", [{}, {"topic": "sogi", "since": "2024-01-15"}])
def test_pages_of_a_staged_search_are_those_of_the_whole_result(
    random_store: tuple, sort: str, filters: dict
) -> None:
    """A page (limit) is picked first and its snippets made after; pages in turn give the
    whole result in order, each row with the same score, snippet and highlighted title."""
    store, *_ = random_store
    query, chosen = "alpha OR (beta gamma)", make_filters(store, **filters)
    whole = list(store.search(query, chosen, sort=sort, limit=None))
    if sort == "rank":
        whole.sort(key=lambda r: (r["score"], r["id"]))
    else:
        whole.sort(key=lambda r: (r["dated_utc"], r["id"]), reverse=True)
    pages = [
        row
        for offset in range(0, len(whole) + 20, 20)
        for row in store.search(query, chosen, sort=sort, limit=20, offset=offset)
    ]
    assert len(whole) > 40  # several pages
    keys = ("id", "score", "snippet", "title_hl", "dated_utc")
    assert [[r[k] for k in keys] for r in pages] == [[r[k] for k in keys] for r in whole]
