"""Parliament (Mazhilis, Senate; the Kurultai from July 2026): bill tables and bill pages.

Selectors come from data/sources.toml, so a new site needs configuration, not code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.pages import parliament
from crawler.spiders.base import SourceSpider


class ParliamentSpider(SourceSpider):
    """Tables (`start` URLs, following `next` up to max_pages), then each bill's page."""

    name = "parliament"
    kinds = ("parliament",)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.start:
            yield scrapy.Request(url, self.parse_table, errback=self.failed, cb_kwargs={"page": 1})

    def parse_table(self, response: Response, page: int) -> Iterator[Any]:
        rows, next_url = parliament.parse_table(response.text, response.url, self.source.selectors)
        if not rows:
            self.warn(f"table {response.url}: selectors matched no bills (has the site changed?)")
            return
        self.answered("table")
        for row in rows:
            yield scrapy.Request(
                row.url, self.parse_bill, errback=self.failed, cb_kwargs={"row": row}
            )
        if next_url and page < self.source.max_pages:
            yield response.follow(next_url, self.parse_table, cb_kwargs={"page": page + 1})

    def parse_bill(self, response: Response, row: parliament.BillRow) -> Iterator[Any]:
        bill = parliament.parse_bill(response.text, response.url, self.source.selectors)
        text = bill.text or row.title
        yield self.document(
            response,
            title=bill.title or row.title,
            text=text,
            published_at=bill.date or row.date,
            method="table",
            meta={"table_cells": row.cells, "files": bill.files},
        )
