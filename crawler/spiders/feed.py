"""A news source through its RSS/Atom feeds only."""

from __future__ import annotations

from crawler.spiders.news import NewsSpider


class FeedSpider(NewsSpider):
    """A news source through its RSS/Atom feeds only."""

    name = "feed"
    methods = ("feed",)
