"""legalacts.egov.kz: lists of draft regulations open for public discussion."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from parsel import Selector

from crawler.pages.common import first, text_of
from crawler.pages.dates import parse_date

_TOTAL_PAGES = re.compile(r"totalPages\s*:\s*(\d+)")
_LABELS = {
    "Статус": "status",
    "Мәртебесі": "status",
    "Тип НПА": "type",
    "НҚА түрі": "type",
    "Дата создания": "created",
    "Құрылған күні": "created",
    "Публичное обсуждение до": "discussion_until",
    "Жария талқылау мерзімі": "discussion_until",
}


@dataclass
class Draft:
    """One draft as the list shows it."""

    url: str
    title: str
    meta: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """The text stored for the draft: its title and what the list says about it."""
        lines = [self.title, *(f"{k}: {v}" for k, v in self.meta.items())]
        return "\n".join(lines)


def parse_list(html: str, url: str, selectors: dict[str, str]) -> tuple[list[Draft], int]:
    """Drafts on a list page (`selectors`: item, link, labels, body) and the page count."""
    sel = Selector(text=html)
    drafts = []
    for node in sel.css(selectors["item"]):
        link = node.css(selectors["link"])
        href = link.attrib.get("href") if link else None
        if not href:
            continue
        meta = _labels(node.css(selectors.get("labels", "small")))
        if selectors.get("body") and (body := first(node, selectors["body"])):
            meta["drafting_body"] = body
        drafts.append(Draft(url=urljoin(url, href), title=text_of(link), meta=meta))
    m = _TOTAL_PAGES.search(html)
    return drafts, int(m.group(1)) if m else 1


def _labels(node: Selector) -> dict[str, str]:
    """«<b>Статус:</b> value <b>Тип НПА:</b> value…» -> {status: value, type: value, …}."""
    text = " ".join(node.css("::text").getall())
    names = "|".join(re.escape(k) for k in _LABELS)
    parts = re.split(rf"({names})\s*:", text)
    meta = {}
    for label, value in zip(parts[1::2], parts[2::2], strict=False):
        key = _LABELS[label]
        value = " ".join(value.split())
        meta[key] = (
            (parse_date(value) or value)[:10] if key in ("created", "discussion_until") else value
        )
    return meta
