"""Pipelines on a crawler built with test settings and a temporary database."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.items import DocumentItem
from crawler.pipelines import (
    NormalisePipeline,
    SkipUnchangedPipeline,
    StorePipeline,
    ValidatePipeline,
)
from kuzet.store import Store

URL = "https://Vlast.kz/novosti/1-test.html?utm_source=tg&id=5#comments"


def item(text: str = "Текст  статьи\r\n\n\n\nвторой абзац ", **kw: object) -> DocumentItem:
    return DocumentItem(url=kw.pop("url", URL), source="vlast", kind="news", text=text, **kw)


@pytest.fixture
def crawler(db_path: Path):
    Store.open(db_path).close()
    return get_crawler(settings_dict={"KUZET_DB": str(db_path)})


def run_all(crawler, *items: DocumentItem) -> list[str]:
    """Push items through the four pipelines; returns what happened to each."""
    stages = [
        ValidatePipeline(),
        NormalisePipeline(),
        SkipUnchangedPipeline.from_crawler(crawler),
        StorePipeline.from_crawler(crawler),
    ]
    for stage in stages:
        if hasattr(stage, "open_spider"):
            stage.open_spider()
    outcomes = []
    for it in items:
        try:
            for stage in stages:
                it = stage.process_item(it)
            outcomes.append("stored")
        except DropItem as exc:
            outcomes.append(str(exc))
    for stage in stages:
        if hasattr(stage, "close_spider"):
            stage.close_spider()
    return outcomes


def test_validate_drops_items_without_text_or_url() -> None:
    with pytest.raises(DropItem, match=r"no text extracted\): https://Vlast.kz"):
        ValidatePipeline().process_item(item(text="  "))
    with pytest.raises(DropItem, match="no absolute URL"):
        ValidatePipeline().process_item(item(url="/relative"))


def test_normalise_canonical_url_whitespace_language() -> None:
    out = NormalisePipeline().process_item(
        item(title="  Заголовок \n статьи ", published_at="вчера")
    )
    assert out.url == out.id == "https://vlast.kz/novosti/1-test.html?id=5"
    assert out.text == "Текст  статьи\n\nвторой абзац"
    assert out.title == "Заголовок статьи"
    assert out.lang == "ru"
    assert out.published_at is None


def test_store_then_skip_unchanged_then_new_version(crawler, db_path: Path) -> None:
    assert run_all(crawler, item(warc_file="archive/a.warc.gz", warc_offset=0)) == ["stored"]
    assert run_all(crawler, item())[0].startswith("unchanged (same URL and content hash)")
    assert run_all(crawler, item(text="Исправленный текст")) == ["stored"]
    with Store.open(db_path) as store:
        doc = store.get_document("https://vlast.kz/novosti/1-test.html?id=5")
        assert doc["version"] == 2
        assert [v["version"] for v in doc["versions"]] == [1]
        ref = store.archive_ref(f"{doc['id']}@1")
        assert (ref["warc_file"], ref["warc_offset"]) == ("archive/a.warc.gz", 0)
    assert crawler.stats.get_value("kuzet/new") == 1
    assert crawler.stats.get_value("kuzet/changed") == 1


def test_duplicates_under_two_urls_are_stored_once(crawler, db_path: Path) -> None:
    outcomes = run_all(
        crawler,
        item(),
        item(url=URL.replace("utm_source=tg", "utm_medium=social")),
        item(url="https://vlast.kz/amp/novosti/1-test.html"),
    )
    assert outcomes[0] == "stored"
    assert outcomes[1].startswith("duplicate (URL already crawled in this run)")
    assert outcomes[2].startswith("duplicate (same text as https://vlast.kz/novosti/1-test.html")
    with Store.open(db_path) as store:
        assert store.count_documents() == 1
    assert crawler.stats.get_value("kuzet/duplicates") == 2


def test_same_text_with_new_metadata_updates_the_metadata(crawler, db_path: Path) -> None:
    row = {"table_cells": ["07.10.2026", "О защите семьи", "первое чтение"]}
    assert run_all(crawler, item(meta=row)) == ["stored"]
    assert run_all(crawler, item(meta=row))[0].startswith("unchanged")
    moved = {"table_cells": ["28.10.2026", "О защите семьи", "второе чтение"]}
    assert run_all(crawler, item(meta=moved)) == ["stored"]  # the row moved, the page did not
    with Store.open(db_path) as store:
        url = "https://vlast.kz/novosti/1-test.html?id=5"
        assert store.get_document(url)["version"] == 1  # the same text: no new version...
        assert "второе чтение" in store.stored_meta(url)  # ...but the source's new facts
    assert run_all(crawler, item(meta=moved))[0].startswith("unchanged")
