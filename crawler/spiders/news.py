"""News and NGO sources: feed, then sitemap, then HTML listing, whichever answers first."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.pages.article import extract_article
from crawler.pages.feed import FeedEntry, looks_like_feed, parse_feed
from crawler.pages.listing import parse_listing
from crawler.pages.sitemap import parse_sitemap
from crawler.spiders.base import SourceSpider

MAX_CHILD_SITEMAPS = 5


class NewsSpider(SourceSpider):
    """Tries each feed, then each sitemap, then each listing; stops at the first method that
    answered, and records it."""

    name = "news"
    kinds = ("news",)
    methods: ClassVar[tuple[str, ...]] = ("feed", "sitemap", "listing")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan = {"feed": self.source.feeds, "sitemap": self.source.sitemaps}
        plan["listing"] = self.source.listing
        self.attempts = [(m, url) for m in self.methods for url in plan[m]]
        self.requested: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self._next_attempt():
            yield request

    def _next_attempt(self) -> Iterator[scrapy.Request]:
        """The next feed/sitemap/listing to try, unless an earlier method already answered."""
        while self.attempts:
            method, url = self.attempts.pop(0)
            if self.answered_by and method != self.answered_by:
                return
            yield scrapy.Request(
                url,
                callback=getattr(self, f"parse_{method}"),
                errback=self.attempt_failed,
                meta={"conditional": method != "listing", "handle_httpstatus_list": [304]},
                cb_kwargs={"pages": 1} if method == "listing" else {},
                dont_filter=True,
            )
            return

    def attempt_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        self.failed(failure)
        yield from self._next_attempt()

    def parse_feed(self, response: Response) -> Iterator[Any]:
        if response.status == 304:
            self.not_modified("feed", response.url)
            yield from self._next_attempt()
            return
        if not looks_like_feed(response.body):
            self.warn(f"feed {response.url} is not a feed (HTML or empty)")
            yield from self._next_attempt()
            return
        ctype = (response.headers.get("Content-Type") or b"application/xml").decode("latin-1")
        feed = parse_feed(response.body, response.url, ctype)
        if feed.problem:
            self.warn(f"feed {response.url}: {feed.problem[:200]}")
        if feed.entries:
            self.answered("feed")
        for entry in feed.entries:
            yield from self._article_request(entry.url, entry, self.listed_in(response))
        yield from self._next_attempt()

    def parse_sitemap(self, response: Response, depth: int = 0) -> Iterator[Any]:
        if response.status == 304:
            self.not_modified("sitemap", response.url)
            yield from self._next_attempt()
            return
        sitemap = parse_sitemap(response.body)
        if sitemap.problem:
            self.warn(f"sitemap {response.url}: {sitemap.problem[:200]}")
        for child in sitemap.children[:MAX_CHILD_SITEMAPS] if depth < 2 else []:
            yield response.follow(
                child,
                self.parse_sitemap,
                cb_kwargs={"depth": depth + 1},
                errback=self.failed,
                meta=self.listed_in(response),
            )
        if sitemap.pages:
            self.answered("sitemap")
        newest = sorted(sitemap.pages, key=lambda p: p[1] or "", reverse=True)
        for url, date, title in newest:
            yield from self._article_request(
                url, FeedEntry(url, title, date), self.listed_in(response)
            )
        if depth == 0:
            yield from self._next_attempt()

    def parse_listing(self, response: Response, pages: int) -> Iterator[Any]:
        listing = parse_listing(response.text, response.url, self.source.selectors)
        if not listing.matched:
            self.warn(
                f"listing {response.url}: selector {self.source.selectors['link']!r} "
                "matched nothing (has the site changed?)"
            )
            if pages == 1:
                yield from self._next_attempt()
            return
        self.answered("listing")
        for url in listing.links:
            yield from self._article_request(url, FeedEntry(url))
        if listing.next_url and pages < self.source.max_pages:
            yield response.follow(
                listing.next_url, self.parse_listing, cb_kwargs={"pages": pages + 1},
                errback=self.failed,
            )  # fmt: skip
        if pages == 1:
            yield from self._next_attempt()

    def _article_request(
        self, url: str, entry: FeedEntry, meta: dict[str, Any] | None = None
    ) -> Iterator[scrapy.Request]:
        """Each article once per run; dont_filter so a redirect loop is caught by the
        redirect limit (and recorded) rather than silently dropped as a duplicate."""
        if url in self.requested or len(self.requested) >= self.source.max_items:
            return
        self.requested.add(url)
        yield scrapy.Request(
            url,
            self.parse_article,
            errback=self.failed,
            cb_kwargs={"entry": entry},
            meta=meta or {},
            dont_filter=True,
        )

    def parse_article(self, response: Response, entry: FeedEntry) -> Iterator[Any]:
        if not hasattr(response, "text"):
            self.page_failed(response, "not a text page")
            return
        article = extract_article(response.text, response.url, self.source.selectors)
        if not article.text:
            self.page_failed(response, "no article text found")
            return
        yield self.document(
            response,
            title=article.title or entry.title,
            text=article.text,
            lang=article.lang,
            published_at=article.published_at or entry.published_at,
            method=self.answered_by or "",
            meta={"author": article.author} if article.author else {},
        )
