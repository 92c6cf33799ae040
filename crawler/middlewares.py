"""Downloader middlewares: sample-mode routing, conditional requests, retry with backoff,
undeclared encodings, and the WARC evidence archive."""

from __future__ import annotations

import asyncio
import logging
from email.utils import parsedate_to_datetime
from typing import Any, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Response, TextResponse
from scrapy.utils.response import response_status_message

from crawler.pages.encoding import guess_encoding
from crawler.spiders.base import CONDITIONAL_URL
from kuzet.archive import WarcArchive
from kuzet.store import Store

log = logging.getLogger(__name__)


class SampleHostsMiddleware:
    """In sample mode, send every request to the local sample server (as an HTTP proxy).

    The server picks the site by the Host header; https URLs are fetched as http.
    """

    def __init__(self, proxy: str) -> None:
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        proxy = crawler.settings.get("KUZET_SAMPLE_PROXY")
        if not proxy:
            raise NotConfigured
        return cls(proxy)

    def process_request(self, request: Request) -> Request | None:
        if request.url.startswith("https://"):
            return request.replace(url="http://" + request.url.removeprefix("https://"))
        request.meta["proxy"] = self.proxy
        return None


class ConditionalRequestMiddleware:
    """For requests marked `meta['conditional']` (feeds, sitemaps, indexes), send
    If-None-Match and If-Modified-Since from the last answer.

    New validators are kept only when the run finishes and every page the feed or index
    listed arrived (the spider's `unfinished` set): otherwise the next run would get
    `304 Not Modified` and never retry the article that failed.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pending: dict[str, tuple[str | None, str | None]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        db = crawler.settings.get("KUZET_DB")
        if not db:
            raise NotConfigured
        mw = cls(Store.open(db))
        crawler.signals.connect(mw.closed, signal=signals.spider_closed)
        return mw

    def closed(self, spider: Spider, reason: str) -> None:
        """Save the validators of the conditional pages whose listed pages all arrived."""
        unfinished = getattr(spider, "unfinished", set())
        try:
            for url, (etag, modified) in self.pending.items():
                if reason != "finished" or url in unfinished:
                    log.info("%s: not keeping validators, to read it again next run", url)
                    continue
                self.store.save_validators(url, etag, modified)
        finally:
            self.store.close()

    def process_request(self, request: Request) -> None:
        if not request.meta.get("conditional"):
            return
        etag, modified = self.store.validators(request.url)
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if modified:
            request.headers.setdefault("If-Modified-Since", modified)

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("conditional") and response.status == 200:
            request.meta[CONDITIONAL_URL] = request.url
            etag = response.headers.get("ETag")
            modified = response.headers.get("Last-Modified")
            if etag or modified:
                self.pending[request.url] = (
                    etag.decode("latin-1") if etag else None,
                    modified.decode("latin-1") if modified else None,
                )
        return response


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, waiting before each: Retry-After when the server gives one (capped),
    else exponential backoff from KUZET_RETRY_BASE_DELAY."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mw = super().from_crawler(crawler)
        mw.base_delay = crawler.settings.getfloat("KUZET_RETRY_BASE_DELAY", 2.0)
        mw.max_delay = crawler.settings.getfloat("KUZET_RETRY_MAX_DELAY", 120.0)
        return mw

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await asyncio.sleep(self.delay(request, response.headers.get("Retry-After")))
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Any:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry"):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await asyncio.sleep(self.delay(request, None))
        return retry

    def delay(self, request: Request, retry_after: bytes | None) -> float:
        """Seconds to wait before the next try."""
        wanted = self.base_delay * 2 ** request.meta.get("retry_times", 0)
        if retry_after:
            wanted = _retry_after_seconds(retry_after.decode("latin-1")) or wanted
        return min(wanted, self.max_delay)


def _retry_after_seconds(value: str) -> float | None:
    if value.strip().isdigit():
        return float(value.strip())
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


class UndeclaredEncodingMiddleware:
    """Pages that declare no charset (header, BOM or meta) and are not UTF-8 are decoded by
    guess (windows-1251 for old Russian and Kazakh sites), not as Latin-1 mojibake."""

    def process_response(self, request: Request, response: Response) -> Response:
        if isinstance(response, TextResponse) and response._declared_encoding() is None:
            encoding = guess_encoding(response.body)
            if encoding != "utf-8":
                request.meta["guessed_encoding"] = encoding
                return response.replace(encoding=encoding)
        return response


class WarcArchiveMiddleware:
    """Writes every successful response (robots.txt aside) to this source's WARC file and
    puts where it went in `request.meta['warc']` for the item."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.archive: WarcArchive | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mw = cls(crawler)
        crawler.signals.connect(mw.close, signal=signals.spider_closed)
        return mw

    def process_response(self, request: Request, response: Response) -> Response:
        if not 200 <= response.status < 300 or request.url.endswith("/robots.txt"):
            return response
        if self.archive is None:
            spider = self.crawler.spider
            self.archive = WarcArchive(getattr(getattr(spider, "source", None), "id", "crawl"))
        headers = [(k, v) for k, values in response.headers.items() for v in values]
        request.meta["warc"] = self.archive.write_response(
            response.url, response.status, headers, response.body
        )
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("kuzet/pages")
        return response

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()
