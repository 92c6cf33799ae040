"""adilet.zan.kz: the RSS index of acts by date, act pages and their /info metadata."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from parsel import Selector

from crawler.pages.common import first, paragraphs, text_of
from crawler.pages.feed import Feed, parse_feed

PAGE_SIZE = 10
_TOTAL = re.compile(r"(?:Найдено|Табылды|Found)\D{0,20}(\d[\d\s]*)", re.IGNORECASE)
_DOC_PATH = re.compile(r"^/(rus|kaz|eng)/docs/([A-Z]\d{6,12})(/.*)?$")
_LANG = {"rus": "ru", "kaz": "kk", "eng": "en"}
_PREFIX = {"rus": "ru", "kaz": "kk", "eng": "en"}


@dataclass
class Act:
    """One act's page: id, language, title, text and the article headings found."""

    doc_id: str
    lang: str
    title: str
    text: str
    articles: list[str] = field(default_factory=list)


def parse_index(body: bytes, url: str) -> tuple[Feed, int | None]:
    """The RSS index page: its entries and the total number of acts («Найдено N документ»)."""
    feed = parse_feed(body, url)
    return feed, total_found(feed.description)


def total_found(description: str) -> int | None:
    """The count in «Найдено 1234 документ», or None."""
    m = _TOTAL.search(description or "")
    return int(re.sub(r"\s", "", m.group(1))) if m else None


def page_count(total: int | None, max_pages: int) -> int:
    """How many index pages to read for `total` acts, at most `max_pages`."""
    return min(max_pages, math.ceil(total / PAGE_SIZE)) if total else 1


def doc_ref(url: str) -> tuple[str, str] | None:
    """(language path, act id) of a document URL such as /rus/docs/Z1800000169, or None."""
    m = _DOC_PATH.match(urlsplit(url).path)
    return (m.group(1), m.group(2)) if m else None


def language_url(url: str, lang_path: str) -> str:
    """The same act's page in another language (`rus`, `kaz`, `eng`)."""
    parts = urlsplit(url)
    ref = doc_ref(url)
    if not ref:
        raise ValueError(f"not an adilet document URL: {url}")
    return f"{parts.scheme}://{parts.netloc}/{lang_path}/docs/{ref[1]}"


def parse_act(html: str, url: str) -> Act:
    """An act page: title (h1), text of div.container_gamma.text, article headings."""
    sel = Selector(text=html)
    lang_path, doc_id = doc_ref(url) or ("rus", "")
    body = sel.css("div.container_gamma.text")
    headings = [
        text_of(h) for h in body.css("h3[id^=z], a[name^=z] + *, p.article, h3") if text_of(h)
    ]
    return Act(
        doc_id=doc_id,
        lang=_LANG[lang_path],
        title=first(sel, "h1") or first(sel, "title"),
        text=paragraphs(body) if body else "",
        articles=list(dict.fromkeys(h for h in headings if re.match(r"^(Статья \d|\d+-бап)", h))),
    )


def parse_info(html: str) -> dict[str, str]:
    """The /info metadata table (table#ethernatable): label -> value."""
    sel = Selector(text=html)
    info = {}
    for row in sel.css("table#ethernatable tr"):
        cells = [text_of(c) for c in row.css("th, td")]
        if len(cells) >= 2 and cells[0]:
            info[cells[0].rstrip(":")] = cells[1]
    return info
