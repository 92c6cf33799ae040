"""adilet.zan.kz: acts by date through the RSS index, each act's page (ru/kk) and /info."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.items import DocumentItem
from crawler.pages import adilet
from crawler.pages.dates import parse_date
from crawler.spiders.base import SourceSpider

_LANG_PATH = {"ru": "rus", "kk": "kaz", "en": "eng"}


class AdiletSpider(SourceSpider):
    """Reads index pages (`start` URLs, page=1..N), then each act in the configured languages."""

    name = "adilet"
    kinds = ("adilet",)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.start:
            yield self._index_request(url)

    def _index_request(self, url: str, meta: dict[str, Any] | None = None) -> scrapy.Request:
        return scrapy.Request(
            url,
            self.parse_index,
            errback=self.failed,
            meta={"conditional": True, "handle_httpstatus_list": [304], **(meta or {})},
        )

    def parse_index(self, response: Response) -> Iterator[Any]:
        if response.status == 304:
            self.not_modified("index", response.url)
            return
        self.answered("index")
        feed, total = adilet.parse_index(response.body, response.url)
        if feed.problem:
            self.warn(f"index {response.url}: {feed.problem[:200]}")
        if not feed.entries:
            self.warn(f"index {response.url}: no acts listed")
        if re.search(r"page=1(\D|$)", response.url):
            for n in range(2, adilet.page_count(total, self.source.max_pages) + 1):
                url = re.sub(r"page=1(?=\D|$)", f"page={n}", response.url)
                yield self._index_request(url, self.listed_in(response))
        for entry in feed.entries:
            if not adilet.doc_ref(entry.url):
                continue
            for lang in self.source.langs:
                url = adilet.language_url(entry.url, _LANG_PATH[lang])
                meta = {"revised_at": entry.published_at, "index_title": entry.title}
                yield scrapy.Request(
                    url,
                    self.parse_act,
                    errback=self.failed,
                    cb_kwargs={"meta": meta},
                    meta=self.listed_in(response),
                )

    def parse_act(self, response: Response, meta: dict[str, Any]) -> Iterator[Any]:
        act = adilet.parse_act(response.text, response.url)
        if not act.text:
            self.page_failed(response, "no act text (div.container_gamma.text)")
            return
        item = self.document(
            response,
            title=act.title or meta.get("index_title", ""),
            text=act.text,
            lang=act.lang,
            method="index",
            meta={**meta, "doc_id": act.doc_id, "articles": len(act.articles)},
        )
        yield scrapy.Request(
            response.url.rstrip("/") + "/info",
            self.parse_info,
            errback=self.info_failed,
            cb_kwargs={"item": item},
            meta=self.listed_in(response),
        )

    def parse_info(self, response: Response, item: DocumentItem) -> Iterator[DocumentItem]:
        info = adilet.parse_info(response.text)
        item.meta["info"] = info
        adopted = next((v for k, v in info.items() if "принят" in k.lower()), None)
        item.published_at = parse_date(adopted) or item.published_at
        yield item

    def info_failed(self, failure: Failure) -> Iterator[DocumentItem]:
        """The act is kept without its metadata when /info fails (not retried next run)."""
        self.failed(failure, retry_next_run=False)
        yield failure.request.cb_kwargs["item"]
