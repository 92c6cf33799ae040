"""legalacts.egov.kz: drafts open for public discussion, read from the list pages (robots.txt
disallows the draft pages themselves)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy
from scrapy.http import Response

from crawler.pages import legalacts
from crawler.spiders.base import SourceSpider


class LegalactsSpider(SourceSpider):
    """Each `start` list URL, then its pages 2..totalPages (at most max_pages)."""

    name = "legalacts"
    kinds = ("legalacts",)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.start:
            yield scrapy.Request(
                url, self.parse_list, errback=self.failed, cb_kwargs={"first": True}
            )

    def parse_list(self, response: Response, first: bool = False) -> Iterator[Any]:
        drafts, total_pages = legalacts.parse_list(
            response.text, response.url, self.source.selectors
        )
        if not drafts:
            self.warn(f"list {response.url}: selectors matched no drafts (has the site changed?)")
            return
        self.answered("list")
        for draft in drafts:
            yield self.document(
                response,
                url=draft.url,
                title=draft.title,
                text=draft.text(),
                published_at=draft.meta.get("created"),
                method="list",
                meta=draft.meta,
            )
        if first:
            for n in range(2, min(total_pages, self.source.max_pages) + 1):
                yield scrapy.Request(
                    with_page(response.url, n), self.parse_list, errback=self.failed
                )


def with_page(url: str, page: int) -> str:
    """The URL with its `page` query parameter set."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("page", str(page))])))
