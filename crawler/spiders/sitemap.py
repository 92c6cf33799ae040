"""A news source through its (news) sitemaps only."""

from __future__ import annotations

from crawler.spiders.news import NewsSpider


class SitemapSpider(NewsSpider):
    """A news source through its (news) sitemaps only."""

    name = "sitemap"
    methods = ("sitemap",)
