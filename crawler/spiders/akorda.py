"""akorda.kz: laws signed by the President, from the legal acts list."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.pages import akorda
from crawler.spiders.base import SourceSpider


class AkordaSpider(SourceSpider):
    """The list (`start` URLs), then each act's page."""

    name = "akorda"
    kinds = ("akorda",)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.start:
            yield scrapy.Request(url, self.parse_list, errback=self.failed)

    def parse_list(self, response: Response) -> Iterator[Any]:
        acts = akorda.parse_list(response.text, response.url, self.source.selectors)
        if not acts:
            self.warn(f"list {response.url}: selectors matched no acts (has the site changed?)")
            return
        self.answered("list")
        for act in acts:
            yield scrapy.Request(
                act.url, self.parse_act, errback=self.failed, cb_kwargs={"act": act}
            )

    def parse_act(self, response: Response, act: akorda.SignedAct) -> Iterator[Any]:
        title, text = akorda.parse_act(response.text, self.source.selectors)
        yield self.document(
            response,
            title=title or act.title,
            text=text or act.title,
            published_at=act.date,
            method="list",
        )
