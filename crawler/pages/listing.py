"""HTML listing pages driven by configured CSS selectors."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

from parsel import Selector


@dataclass
class Listing:
    """Links to articles on one listing page, the next page, and whether selectors matched."""

    links: list[str] = field(default_factory=list)
    next_url: str | None = None
    matched: bool = False


def parse_listing(html: str, url: str, selectors: dict[str, str]) -> Listing:
    """Apply `selectors['link']` (elements whose href is an article), `selectors['next']`
    (pagination link) to a listing page. `matched` is False when the link selector found
    nothing: the site changed, and the caller must say so loudly.
    """
    sel = Selector(text=html)
    hrefs = [_href(node) for node in sel.css(selectors["link"])]
    links = list(dict.fromkeys(urljoin(url, h) for h in hrefs if h))
    nodes = sel.css(selectors["next"]) if selectors.get("next") else []
    href = _href(nodes[0]) if nodes else None
    next_url = urljoin(url, href) if href else None
    return Listing(links=links, next_url=next_url, matched=bool(links))


def _href(node: Selector) -> str | None:
    """The href of an <a>, or of the first <a> inside the element."""
    href = node.attrib.get("href") or node.css("a::attr(href)").get()
    return href.strip() if href else None
