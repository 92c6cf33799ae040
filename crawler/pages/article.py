"""Article pages: configured selectors where the source has them, trafilatura elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura
from parsel import Selector

from crawler.pages.dates import parse_date

_META_DATES = (
    'meta[property="article:published_time"]::attr(content)',
    'meta[name="pubdate"]::attr(content)',
    'meta[itemprop="datePublished"]::attr(content)',
    "time[datetime]::attr(datetime)",
)


@dataclass
class Article:
    """What an article page says: title, main text, author, publication date, language."""

    title: str
    text: str
    author: str | None = None
    published_at: str | None = None
    lang: str | None = None


def extract_article(html: str, url: str, selectors: dict[str, str] | None = None) -> Article:
    """Extract the article; `selectors` may give `title`, `body`, `date` and `author`.

    Without a `body` selector, trafilatura finds the main text. Returns an Article whose
    text is empty when nothing readable was found.
    """
    selectors = selectors or {}
    sel = Selector(text=html)
    article = _by_selectors(sel, selectors) if selectors.get("body") else _by_trafilatura(html, url)
    if not article.title:
        article.title = _first_text(sel, "h1") or _first_text(sel, "title")
    article.published_at = _date(sel, selectors) or article.published_at
    article.lang = _lang(sel)
    return article


def _by_selectors(sel: Selector, selectors: dict[str, str]) -> Article:
    paragraphs = [
        " ".join(" ".join(node.css("::text").getall()).split())
        for node in sel.css(selectors["body"])
    ]
    return Article(
        title=_first_text(sel, selectors.get("title", "h1")),
        text="\n\n".join(p for p in paragraphs if p),
        author=_first_text(sel, selectors["author"]) if selectors.get("author") else None,
    )


def _by_trafilatura(html: str, url: str) -> Article:
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, favor_recall=True, include_comments=False
    )
    if doc is None:
        return Article(title="", text="")
    text = doc.text or ""
    title = doc.title or ""
    if title and text.startswith(title):
        text = text[len(title) :].lstrip()
    return Article(
        title=title, text=text, author=doc.author or None, published_at=parse_date(doc.date)
    )


def _date(sel: Selector, selectors: dict[str, str]) -> str | None:
    if selectors.get("date"):
        node = sel.css(selectors["date"])
        raw = node.attrib.get("datetime") or " ".join(node.css("::text").getall())
        if parsed := parse_date(raw):
            return parsed
    for query in _META_DATES:
        if parsed := parse_date(sel.css(query).get()):
            return parsed
    return None


def _first_text(sel: Selector, query: str) -> str:
    node = sel.css(query)
    return " ".join(" ".join(node[:1].css("::text").getall()).split()) if node else ""


def _lang(sel: Selector) -> str | None:
    lang = (sel.css("html::attr(lang)").get() or "").lower()[:2]
    return {"ru": "ru", "kk": "kk", "kz": "kk", "en": "en"}.get(lang)
