"""Crawl cases end to end on a modified copy of the sample sites: a failed article retried
although its feed is unchanged, robots.txt Disallow, a page module crashing, dates."""

from __future__ import annotations

import re
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from scrapy import Request, signals
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.extensions import RunRecorder, run_summary
from crawler.items import DocumentItem
from crawler.middlewares import ConditionalRequestMiddleware
from crawler.pipelines import NormalisePipeline
from crawler.spiders.base import CONDITIONAL_URL, LISTED_IN
from crawler.spiders.news import NewsSpider
from kuzet.cli import cli
from kuzet.store import Store
from tests.conftest import ROOT

ORDA_FEED = "http://orda.kz/feed/"
ORDA_ARTICLE = "http://orda.kz/psiholog-o-travle-podrostkov-401101/"
ORDA_EN = "http://orda.kz/en/lgbt-people-fear-fines-401102/"
FAILING_ROUTE = """
[[route]]
host = "orda.kz"
path = "/psiholog-o-travle-podrostkov-401101/"
case = "status"
status = 500
"""
SOURCES = """
[crawler]
contact = "kuzet-tests@example.org"

[sources.orda]
kind = "news"
langs = ["ru", "en"]
feeds = ["https://orda.kz/feed/"]
selectors = { title = "h1", date = "time", body = "article p" }

[sources.legalacts]
kind = "legalacts"
langs = ["ru"]
start = ["https://legalacts.egov.kz/list", "https://legalacts.egov.kz/npa/view?id=15101"]
max_pages = 10
selectors = { item = "div.contentlist > div.media", link = "h3 a", labels = "small", body = ".gov-parent" }

[sources.mazhilis]
kind = "parliament"
langs = ["ru"]
start = ["https://www.parlam.kz/ru/mazhilis/sent-to-the-senate"]
selectors = { row = "table.laws tbody tr", link = "td a", title = "h1", body = ".bill-body", date = ".bill-date" }
"""  # noqa: E501 - selectors as sources.toml writes them
SCAN_ROW = (
    '<tr><td>20.11.2025</td><td></td><td><a href="/ru/mazhilis/bills/2025-scan.pdf">'
    "Скан законопроекта</a></td><td></td><td>1</td></tr>\n</tbody>"
)


def rows(db: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def last_run(db: Path, source: str) -> sqlite3.Row:
    return rows(db, "SELECT * FROM runs WHERE source = ? ORDER BY id DESC LIMIT 1", source)[0]


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Crawl the modified sample twice: orda's article fails (500) the first time only."""
    tmp = tmp_path_factory.mktemp("cases")
    sample = tmp / "sample"
    shutil.copytree(ROOT / "data" / "sample", sample)
    generated = sample / "generated.toml"
    original_routes = generated.read_text("utf-8")
    generated.write_text(original_routes + FAILING_ROUTE, "utf-8")
    table = sample / "sites" / "www.parlam.kz" / "ru" / "mazhilis" / "sent-to-the-senate.html"
    table.write_text(table.read_text("utf-8").replace("</tbody>", SCAN_ROW), "utf-8")
    (table.parent / "bills" / "2025-scan.pdf").write_bytes(b"%PDF-1.4\n\x00\x01\x02\x03 stream")
    english = sample / "sites" / "orda.kz" / "en" / "lgbt-people-fear-fines-401102" / "index.html"
    html = re.sub(
        r"<title>.*?</title>|<h1>.*?</h1>|<p class=.byline.>.*?</p>", "", english.read_text()
    )
    english.write_text(html, "utf-8")  # title and date must come from the odd feed
    (tmp / "sources.toml").write_text(SOURCES, "utf-8")
    db = tmp / "kuzet.db"
    env = {
        "KUZET_VAR": str(tmp / "var"),
        "KUZET_SAMPLE_DIR": str(sample),
        "KUZET_SOURCES": str(tmp / "sources.toml"),
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        runner = CliRunner()
        first = runner.invoke(cli, ["--db", str(db), "crawl", "--sample"])
        validators_after_first = [r[0] for r in rows(db, "SELECT url FROM http_validators")]
        generated.write_text(original_routes, "utf-8")  # the article is back
        second = runner.invoke(cli, ["--db", str(db), "crawl", "--sample", "orda"])
    return {
        "db": db,
        "first": first,
        "second": second,
        "validators_after_first": validators_after_first,
    }


def test_a_failed_article_is_retried_although_its_feed_is_unchanged(cases: dict) -> None:
    assert cases["first"].exit_code == 0, cases["first"].output
    db = cases["db"]
    first = rows(db, "SELECT * FROM runs WHERE source = 'orda' ORDER BY id")[0]
    assert first["status"] == "partial"
    assert f"HTTP 500 at {ORDA_ARTICLE}" in first["message"]
    assert ORDA_FEED not in cases["validators_after_first"]  # else the next run gets a 304
    second = last_run(db, "orda")
    assert cases["second"].exit_code == 0, cases["second"].output
    assert "not modified" not in (second["message"] or "")
    assert second["new_docs"] == 1
    assert second["errors"] == 0
    assert rows(db, "SELECT count(*) FROM documents WHERE url = ?", ORDA_ARTICLE)[0][0] == 1
    kept = rows(db, "SELECT etag FROM http_validators WHERE url = ?", ORDA_FEED)
    assert kept  # everything arrived: the next run may ask with If-None-Match
    assert kept[0]["etag"]


def test_titles_and_dates_from_a_feed_with_entities_and_cdata(cases: dict) -> None:
    db = cases["db"]
    first = rows(db, "SELECT * FROM runs WHERE source = 'orda' ORDER BY id")[0]
    assert first["method"] == "feed"
    assert "undefined entity" in first["message"]  # the feed is malformed, and read anyway
    doc = rows(db, "SELECT title, published_at, text FROM documents WHERE url = ?", ORDA_EN)[0]
    assert doc["title"] == "LGBT people & fines: “we deleted old posts”"  # not &amp;amp;
    assert doc["published_at"] == "2026-01-21T10:00:00+05:00"
    assert doc["text"].startswith("Several LGBT people told us")


def test_robots_txt_disallow_is_obeyed(cases: dict) -> None:
    db = cases["db"]
    run = last_run(db, "legalacts")
    assert "Forbidden by robots.txt" in run["message"]
    assert "npa/view?id=15101" in run["message"]
    assert "HTTP 404" not in run["message"]  # never asked: the sample server has no such page
    assert run["new_docs"] == 4  # the drafts, read from the list pages only
    archived = rows(db, "SELECT count(*) FROM documents WHERE warc_file IS NOT NULL")
    assert archived[0][0] > 0


def test_a_page_module_crashing_is_recorded_in_the_run(cases: dict) -> None:
    db = cases["db"]
    run = last_run(db, "mazhilis")
    assert run["status"] == "partial"
    assert run["errors"] == 1
    assert (
        "AttributeError at http://www.parlam.kz/ru/mazhilis/bills/2025-scan.pdf" in (run["message"])
    )
    assert run["new_docs"] == 2  # the other bills are stored


def test_every_stored_date_has_an_offset(cases: dict) -> None:
    dates = [r[0] for r in rows(cases["db"], "SELECT published_at FROM documents")]
    assert len(dates) >= 8
    for value in dates:
        assert value is not None
        assert datetime.fromisoformat(value).utcoffset() is not None, value
    drafts = rows(cases["db"], "SELECT published_at FROM documents WHERE source = 'legalacts'")
    assert "2026-01-02T00:00:00+05:00" in [r[0] for r in drafts]


# -- the same pieces without the engine ---------------------------------------------------


def test_normalise_gives_every_date_an_offset() -> None:
    pipeline = NormalisePipeline()
    cases = {
        "2026-01-02": "2026-01-02T00:00:00+05:00",
        "2026-01-02T10:30:00": "2026-01-02T10:30:00+05:00",
        "2026-01-02T10:30:00Z": "2026-01-02T10:30:00+00:00",
        "2026-01-02T10:30:00+03:00": "2026-01-02T10:30:00+03:00",
        "2026-02-30": None,
    }
    for given, expected in cases.items():
        item = DocumentItem(url="https://x.kz/a", source="x", kind="news", text="t")
        item.published_at = given
        assert pipeline.process_item(item).published_at == expected, given


def test_validators_are_kept_only_when_every_listed_page_arrived(db_path: Path) -> None:
    Store.open(db_path).close()
    spider = NewsSpider(source="orda")
    feeds = ["https://orda.kz/feed/", "https://orda.kz/other-feed/"]
    middleware = ConditionalRequestMiddleware(Store.open(db_path))
    for url in feeds:
        request = Request(url, meta={"conditional": True})
        answer = Response(url, status=200, headers={"ETag": '"v1"'}, request=request)
        middleware.process_response(request, answer)
        assert request.meta[CONDITIONAL_URL] == url
    feed_response = HtmlResponse(feeds[0], body=b"", request=Request(feeds[0]))
    feed_response.request.meta[CONDITIONAL_URL] = feeds[0]
    meta = spider.listed_in(feed_response)
    assert meta == {LISTED_IN: (feeds[0],)}
    article = Request("https://orda.kz/a/", meta=meta)
    failure = Failure(OSError("timeout"))
    failure.request = article  # as Scrapy sets it for errbacks
    spider.failed(failure)
    middleware.closed(spider, "finished")
    with Store.open(db_path) as store:
        assert store.validators(feeds[0]) == (None, None)
        assert store.validators(feeds[1]) == ('"v1"', None)


def test_pipeline_and_callback_errors_reach_the_run(db_path: Path) -> None:
    Store.open(db_path).close()
    crawler = get_crawler(settings_dict={"KUZET_DB": str(db_path)})
    recorder = RunRecorder.from_crawler(crawler)  # signals hold only weak references
    spider = NewsSpider(source="orda")
    spider.answered("feed")
    url = "https://orda.kz/a/"
    response = HtmlResponse(url, body=b"<p>x</p>", request=Request(url))
    item = DocumentItem(url=url, source="orda", kind="news", text="t")
    crawler.signals.send_catch_log(
        signals.item_error,
        item=item,
        response=response,
        spider=spider,
        failure=Failure(ValueError("database said no")),
    )
    crawler.signals.send_catch_log(
        signals.spider_error,
        failure=Failure(KeyError("title")),
        response=response,
        spider=spider,
    )
    assert recorder.run_id is None  # no run row was opened here: the summary is checked
    summary = run_summary({"kuzet/pages": 1}, spider, "finished")
    assert summary["status"] == "partial"
    assert summary["errors"] == 2
    assert f"ValueError at {url}: database said no" in summary["message"]
    assert f"KeyError at {url}: 'title'" in summary["message"]
