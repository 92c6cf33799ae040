"""Spider callbacks called directly on saved pages: which items, which follow-up requests."""

from __future__ import annotations

import scrapy

from crawler.items import DocumentItem
from crawler.spiders.adilet import AdiletSpider
from crawler.spiders.akorda import AkordaSpider
from crawler.spiders.legalacts import LegalactsSpider
from crawler.spiders.news import NewsSpider
from crawler.spiders.parliament import ParliamentSpider


def split(output) -> tuple[list[DocumentItem], list[scrapy.Request]]:
    out = list(output)
    return [o for o in out if isinstance(o, DocumentItem)], [
        o for o in out if isinstance(o, scrapy.Request)
    ]


def test_news_feed_requests_every_article_once(load_response) -> None:
    spider = NewsSpider(source="vlast")
    spider.attempts = []
    response = load_response("https://vlast.kz/rss", "news/vlast_truncated_feed.html")
    items, requests = split(spider.parse_feed(response))
    assert items == []
    assert len(requests) == 7  # the truncated eighth entry is lost, the rest kept
    assert requests[0].url == "https://vlast.kz/novosti/61201-aktivistov-oshtrafovali-za-post.html"
    assert spider.answered_by == "feed"
    assert any("malformed feed" in p for p in spider.problems)
    again, _ = split(spider._article_request(requests[0].url, requests[0].cb_kwargs["entry"]))
    assert again == []


def test_news_article_becomes_an_item(load_response) -> None:
    spider = NewsSpider(source="vlast")
    url = "https://vlast.kz/novosti/61201-aktivistov-oshtrafovali-za-post.html"
    response = load_response(url, "news/vlast_article.html")
    from crawler.pages.feed import FeedEntry

    items, requests = split(spider.parse_article(response, FeedEntry(url)))
    assert requests == []
    assert len(items) == 1
    assert items[0].title == "Активистов оштрафовали за пост о квир-фестивале"
    assert items[0].published_at == "2026-01-14T16:30:00+05:00"
    assert (items[0].source, items[0].kind, items[0].lang) == ("vlast", "news", "ru")


def test_listing_that_matches_nothing_warns_and_falls_through(load_response) -> None:
    spider = NewsSpider(source="kaztag")
    spider.attempts = []
    response = load_response("https://kaztag.kz/ru/news/", "news/kaztag_listing_changed.html")
    items, requests = split(spider.parse_listing(response, pages=1))
    assert (items, requests) == ([], [])
    assert spider.answered_by is None
    assert "matched nothing" in spider.problems[0]


def test_adilet_index_requests_next_pages_and_each_act_in_each_language(load_response) -> None:
    spider = AdiletSpider(source="adilet")
    url = "https://adilet.zan.kz/rus/index/docs/dt=2025-&rss=true&page=1"
    _, requests = split(spider.parse_index(load_response(url, "adilet/index_page1.html")))
    urls = [r.url for r in requests]
    assert urls[0] == "https://adilet.zan.kz/rus/index/docs/dt=2025-&rss=true&page=2"
    assert "https://adilet.zan.kz/rus/docs/Z2500000250" in urls
    assert "https://adilet.zan.kz/kaz/docs/Z2500000250" in urls
    assert len(urls) == 1 + 2 * 2  # page 2 (12 acts, 10 a page), two acts in ru and kk


def test_adilet_act_then_info_gives_one_item_with_metadata(load_response) -> None:
    spider = AdiletSpider(source="adilet")
    url = "https://adilet.zan.kz/rus/docs/Z2500000250"
    _, requests = split(spider.parse_act(load_response(url, "adilet/act_ru.html"), meta={}))
    assert [r.url for r in requests] == [url + "/info"]
    item = requests[0].cb_kwargs["item"]
    info = load_response(url + "/info", "adilet/info_ru.html")
    items, _ = split(spider.parse_info(info, item))
    assert items[0].published_at == "2025-12-30T00:00:00+05:00"
    assert items[0].meta["info"]["Вид акта"] == "Закон"
    assert items[0].kind == "law"


def test_legalacts_list_items_and_next_page(load_response) -> None:
    spider = LegalactsSpider(source="legalacts")
    url = "https://legalacts.egov.kz/list"
    items, requests = split(
        spider.parse_list(load_response(url, "legalacts/list_page1.html"), True)
    )
    assert [i.url for i in items] == [
        "https://legalacts.egov.kz/npa/view?id=15101",
        "https://legalacts.egov.kz/npa/view?id=15102",
    ]
    assert items[0].meta["status"] == "Публичное обсуждение"
    assert items[0].kind == "draft"
    assert [r.url for r in requests] == ["https://legalacts.egov.kz/list?page=2"]


def test_parliament_table_requests_bills_and_next_page(load_response) -> None:
    spider = ParliamentSpider(source="senate")
    url = "https://senate.parlam.kz/ru-RU/lawProjects/index?p=1"
    _, requests = split(spider.parse_table(load_response(url, "parliament/senate_table.html"), 1))
    assert [r.url for r in requests] == [
        "https://senate.parlam.kz/ru-RU/lawProjects/details/2101",
        "https://senate.parlam.kz/ru-RU/lawProjects/index?p=2",
    ]


def test_akorda_list_requests_each_signed_law(load_response) -> None:
    spider = AkordaSpider(source="akorda")
    url = "https://www.akorda.kz/ru/legal_acts"
    _, requests = split(spider.parse_list(load_response(url, "akorda/legal_acts.html")))
    assert len(requests) == 2
    assert requests[0].cb_kwargs["act"].date == "2025-12-30T00:00:00+05:00"
