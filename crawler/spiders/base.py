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
#: request.meta: the conditional pages (feeds, sitemaps, indexes) that led to this request.
LISTED_IN = "kuzet_listed_in"
#: request.meta, set by ConditionalRequestMiddleware on a conditional page that answered 200.
CONDITIONAL_URL = "kuzet_conditional_url"


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
        #: Conditional pages whose pages did not all arrive: their validators are not kept,
        #: so the next run reads them again (not 304) and retries what failed.
        self.unfinished: set[str] = set()

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

    def failed(self, failure: Failure, *, retry_next_run: bool = True) -> None:
        """Errback: record a request that failed for good (after retries); the feed or index
        that listed it will be read again next run, so it is retried then."""
        self.failures.append(describe_failure(failure))
        log.info("%s: %s", self.source.id, self.failures[-1])
        request = getattr(failure, "request", None)
        if retry_next_run and request is not None:
            self.unfinished_from(request.meta)

    def listed_in(self, response: Response) -> dict[str, tuple[str, ...]]:
        """Meta for requests made from `response`: the conditional pages that led to them."""
        chain = tuple(response.meta.get(LISTED_IN, ()))
        if own := response.meta.get(CONDITIONAL_URL):
            chain = (own, *chain)
        return {LISTED_IN: chain} if chain else {}

    def unfinished_from(self, meta: dict[str, Any]) -> None:
        """A page reached through `meta`'s feeds or indexes (or such a page itself) was lost:
        read them again next run."""
        self.unfinished.update(meta.get(LISTED_IN, ()))
        if own := meta.get(CONDITIONAL_URL):
            self.unfinished.add(own)

    def page_failed(self, response: Response, message: str) -> None:
        """A page answered but gave nothing usable: a failure, retried next run."""
        self.failures.append(f"{message} at {response.url}")
        self.unfinished_from(response.meta)

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
