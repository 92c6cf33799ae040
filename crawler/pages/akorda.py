"""akorda.kz: the President's list of signed legal acts and the act pages."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from parsel import Selector

from crawler.pages.common import first, paragraphs, text_of
from crawler.pages.dates import parse_date


@dataclass
class SignedAct:
    """An entry of the legal acts list: title, page and the date («30 декабря 2025 года»)."""

    url: str
    title: str
    date: str | None


def parse_list(html: str, url: str, selectors: dict[str, str]) -> list[SignedAct]:
    """Entries (`item`) with their link (`link`, e.g. `h3 a`) and date (`date`, e.g. `h5`)."""
    sel = Selector(text=html)
    acts = []
    for node in sel.css(selectors["item"]):
        link = node.css(selectors["link"])
        href = link.attrib.get("href") if link else None
        if href:
            date = parse_date(first(node, selectors["date"]))
            acts.append(SignedAct(urljoin(url, href), text_of(link), date))
    return acts


def parse_act(html: str, selectors: dict[str, str]) -> tuple[str, str]:
    """Title and text of an act or signing notice page."""
    sel = Selector(text=html)
    body = sel.css(selectors.get("body", "article"))
    return first(sel, selectors.get("title", "h1")), paragraphs(body) if body else ""
