"""Parliament sites (Mazhilis, Senate, and later the Kurultai): bill tables and bill pages.

The selectors come from configuration, because the Kurultai's site is new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

from parsel import Selector

from crawler.pages.common import first, paragraphs, text_of
from crawler.pages.dates import parse_date


@dataclass
class BillRow:
    """A bill as a table row shows it: its page, title, first date and all cells."""

    url: str
    title: str
    date: str | None = None
    cells: list[str] = field(default_factory=list)


@dataclass
class BillPage:
    """A bill's own page."""

    title: str
    text: str
    date: str | None = None
    files: list[str] = field(default_factory=list)


def parse_table(html: str, url: str, selectors: dict[str, str]) -> tuple[list[BillRow], str | None]:
    """Rows (`selectors['row']`) with a bill link (`selectors['link']`), and the next page."""
    sel = Selector(text=html)
    rows = []
    for row in sel.css(selectors["row"]):
        cells = [text_of(c) for c in row.css("td, th") or row.xpath("./*")]
        date = next((d for c in cells if (d := parse_date(c))), None)
        for link in row.css(selectors["link"]):
            href = link.attrib.get("href")
            if href:
                rows.append(BillRow(urljoin(url, href), text_of(link), date, cells))
    next_href = sel.css(selectors["next"]).attrib.get("href") if selectors.get("next") else None
    return rows, urljoin(url, next_href) if next_href else None


def parse_bill(html: str, url: str, selectors: dict[str, str]) -> BillPage:
    """A bill page: `title`, `body` and `date` selectors; PDFs from `files` links."""
    sel = Selector(text=html)
    body = sel.css(selectors.get("body", "main"))
    files = sel.css(selectors.get("files", 'a[title="Скачать"]')).css("::attr(href)").getall()
    return BillPage(
        title=first(sel, selectors.get("title", "h1")),
        text=paragraphs(body) if body else "",
        date=parse_date(first(sel, selectors["date"])) if selectors.get("date") else None,
        files=[urljoin(url, f) for f in files],
    )
