"""What every Kuzet spider shares: its configured source, documents, failures, warnings."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.items import DocumentItem
from kuzet.config import Source, load_sources

log = logging.getLogger(__name__)


class SourceSpider(scrapy.Spider):
    """Base class: `scrapy crawl <kind> -a source=<id>` crawls one configured source."""

    kinds: ClassVar[tuple[str, ...]] = ()

    def __init__(self, source: str | Source = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source if isinstance(source, Source) else _load(source, self.kinds)
        self.allowed_domains = self.source.hosts()
        self.failures: list[str] = []
        self.problems: list[str] = []
        self.answered_by: str | None = None

    def answered(self, method: str) -> None:
        """Record which method (feed, sitemap, listing, index, list, table) answered."""
        if self.answered_by is None:
            self.answered_by = method

    def not_modified(self, method: str, url: str) -> None:
        """A conditional request answered 304: the method answered, with nothing new."""
        self.answered(method)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("kuzet/not_modified")
        log.info("%s: %s not modified since last crawl", self.source.id, url)

    def warn(self, message: str) -> None:
        """A loud warning: logged, and written into the run record."""
        log.warning("%s: %s", self.source.id, message)
        self.problems.append(message)

    def failed(self, failure: Failure) -> None:
        """Errback: record a request that failed for good (after retries)."""
        self.failures.append(describe_failure(failure))
        log.info("%s: %s", self.source.id, self.failures[-1])

    def document(self, response: Response, **fields: Any) -> DocumentItem:
        """An item for a document read from `response`, with its archive reference."""
        ref = response.meta.get("warc")
        fields.setdefault("url", response.url)
        return DocumentItem(
            source=self.source.id,
            kind=self.source.doc_kind,
            warc_file=ref.warc_file if ref else None,
            warc_offset=ref.offset if ref else None,
            payload_sha256=ref.payload_sha256 if ref else None,
            **fields,
        )


def describe_failure(failure: Failure) -> str:
    """One line: what failed and where."""
    request = getattr(failure, "request", None)
    url = request.url if request is not None else "?"
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status} at {url}"
    name = type(failure.value).__name__
    return f"{name} at {url}: {str(failure.value)[:160]}"


def _load(source_id: str, kinds: tuple[str, ...]) -> Source:
    source = load_sources().select([source_id])[0]
    if kinds and source.kind not in kinds:
        raise ValueError(f"source {source_id!r} is of kind {source.kind!r}, not {kinds}")
    return source
