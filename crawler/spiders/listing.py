"""A news source through its HTML listing pages only, driven by configured selectors."""

from __future__ import annotations

from crawler.spiders.news import NewsSpider


class ListingSpider(NewsSpider):
    """A news source through its HTML listing pages only, driven by configured selectors."""

    name = "listing"
    methods = ("listing",)
