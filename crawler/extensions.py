"""The run recorder: one `runs` row per source and crawl, with counts, errors and warnings."""

from __future__ import annotations

import logging
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from twisted.python.failure import Failure

from kuzet.store import Store

log = logging.getLogger(__name__)


class RunRecorder:
    """Opens a `runs` row when a source's spider starts and completes it when it closes."""

    def __init__(self, crawler: Crawler, db: str) -> None:
        self.crawler = crawler
        self.db = db
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        db = crawler.settings.get("KUZET_DB")
        if not db:
            raise NotConfigured
        ext = cls(crawler, db)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        return ext

    def spider_error(self, failure: Failure, response: Response | None, spider: Spider) -> None:
        """A callback (page module) raised: a failure of this run, not a silent loss."""
        record_exception(spider, failure, response, getattr(response, "url", None))

    def item_error(
        self, item: Any, response: Response | None, spider: Spider, failure: Failure
    ) -> None:
        """A pipeline raised (other than DropItem): a failure of this run."""
        url = ItemAdapter(item).get("url") if ItemAdapter.is_item(item) else None
        record_exception(spider, failure, response, url or getattr(response, "url", None))

    def opened(self, spider: Spider) -> None:
        source = getattr(spider, "source", None)
        if source is None:
            return
        with Store.open(self.db) as store:
            store.upsert_source(
                source.id,
                name=source.name,
                kind=source.group,
                url=source.url,
                langs=source.langs,
                enabled=source.enabled,
            )
            self.run_id = store.start_run("crawl", source.id)

    def closed(self, spider: Spider, reason: str) -> None:
        if self.run_id is None:
            return
        assert self.crawler.stats is not None
        stats = self.crawler.stats
        summary = run_summary(stats.get_stats(), spider, reason)
        with Store.open(self.db) as store:
            store.finish_run(self.run_id, **summary)
        log.info("run %s for %s: %s", self.run_id, spider.source.id, summary)


def record_exception(
    spider: Spider, failure: Failure, response: Response | None, url: str | None
) -> None:
    """Add `ExceptionName at URL: message` to the spider's failures (and so to its run row);
    the feed or index that listed the page is read again next run."""
    failures = getattr(spider, "failures", None)
    if failures is None:
        return
    exc = failure.value
    failures.append(f"{type(exc).__name__} at {url or '?'}: {str(exc)[:160]}")
    if response is not None and hasattr(spider, "unfinished_from"):
        spider.unfinished_from(response.meta)
    log.warning("%s", failures[-1])


def run_summary(stats: dict[str, Any], spider: Spider, reason: str) -> dict[str, Any]:
    """Status, counters and message for the runs row, from the crawler's stats."""
    failures: list[str] = getattr(spider, "failures", [])
    problems: list[str] = getattr(spider, "problems", [])
    pages = int(stats.get("kuzet/pages", 0))
    method = getattr(spider, "answered_by", None)
    errors = len(failures)
    if not method:
        problems = [*problems, "no method answered: the source gave nothing this run"]
    if reason != "finished":
        problems = [*problems, f"crawl ended early: {reason}"]
    if not method:
        status = "failed"
    elif errors or problems:
        status = "partial"
    else:
        status = "ok"
    notes = [f"WARNING: {p}" for p in problems] + failures[:5]
    if errors > 5:
        notes.append(f"... and {errors - 5} more errors")
    counters = ("not_modified", "unchanged", "duplicates")
    extra = [f"{n} {k.replace('_', ' ')}" for k in counters if (n := stats.get(f"kuzet/{k}", 0))]
    return {
        "status": status,
        "message": "; ".join(notes + ([", ".join(extra)] if extra else [])) or None,
        "pages": pages,
        "new_docs": int(stats.get("kuzet/new", 0)),
        "changed_docs": int(stats.get("kuzet/changed", 0)),
        "errors": errors,
        "warnings": len(problems),
        "method": method,
    }
