"""Source health: bad runs in a row make a source stale; a quiet-but-answering feed is fine."""

from __future__ import annotations

import pytest

from kuzet.health import source_health
from kuzet.store import Store


def crawl_run(
    store: Store, source: str, status: str, pages: int, method: str | None = None
) -> None:
    run_id = store.start_run("crawl", source)
    store.finish_run(run_id, status, pages=pages, method=method)


def by_source(store: Store) -> dict[str, object]:
    return {h.source: h for h in source_health(store)}


def test_stale_after_three_bad_runs_in_a_row(store: Store) -> None:
    crawl_run(store, "vlast", "ok", 5)
    for _ in range(2):
        crawl_run(store, "vlast", "failed", 0)
    assert by_source(store)["vlast"].status == "failing"
    crawl_run(store, "vlast", "ok", 0)  # "ok" but fetched nothing: still bad
    health = by_source(store)["vlast"]
    assert health.stale
    assert health.bad_in_a_row == 3
    crawl_run(store, "vlast", "partial", 2)
    assert by_source(store)["vlast"].status == "ok"


def test_unchanged_feed_is_healthy_and_unrun_sources_are_listed(store: Store) -> None:
    crawl_run(store, "orda", "ok", 1)  # a 304: one page, nothing new
    health = by_source(store)
    assert health["orda"].status == "ok"
    assert health["adilet"].status == "never run"


def test_threshold_comes_from_settings(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    config = store.path.parent / "ops.toml"
    config.write_text("[operations]\nstale_after_runs = 1\n")
    monkeypatch.setenv("KUZET_CONFIG", str(config))
    crawl_run(store, "kaztag", "failed", 1)
    assert by_source(store)["kaztag"].stale


def test_a_feed_answering_not_modified_is_healthy(store: Store) -> None:
    for _ in range(4):  # a 304 fetches no page, but the feed answered
        crawl_run(store, "orda", "ok", 0, method="feed")
    assert by_source(store)["orda"].status == "ok"
    assert store.bad_streak_start("orda") is None


def test_a_long_streak_is_counted_from_its_first_run(store: Store) -> None:
    crawl_run(store, "vlast", "ok", 4, method="feed")
    for _ in range(5):
        crawl_run(store, "vlast", "failed", 0)
    health = by_source(store)["vlast"]
    first = store.bad_streak_start("vlast")
    assert health.bad_in_a_row == 5
    assert health.bad_since_run == first["id"] == 2
    assert health.bad_since == first["started_at"]


def test_documents_in_the_last_7_days_count_by_when_they_were_stored(store: Store) -> None:
    from kuzet.documents import NewDocument

    old_news = NewDocument(
        url="https://vlast.kz/old", text="t", source="vlast", published_at="2020-01-01"
    )
    store.upsert_documents([old_news])
    crawl_run(store, "vlast", "ok", 1)
    assert by_source(store)["vlast"].docs_7d == 1


def test_health_of_chosen_sources_only(store: Store) -> None:
    for _ in range(3):
        crawl_run(store, "vlast", "failed", 0)
    crawl_run(store, "imported-only", "ok", 2)  # a source with runs but not in the config
    everyone = by_source(store)
    chosen = source_health(store, sources=["vlast", "imported-only"])
    assert [h.source for h in chosen] == ["vlast", "imported-only"]
    assert chosen[0] == everyone["vlast"]
    assert chosen[0].stale
    assert chosen[1] == everyone["imported-only"]
    assert len(everyone) > 2
