"""Small helpers shared by the page modules."""

from __future__ import annotations

from parsel import Selector, SelectorList


def text_of(node: Selector | SelectorList) -> str:
    """All text inside a node (or node list), whitespace collapsed."""
    return " ".join(" ".join(node.css("::text").getall()).split())


def paragraphs(node: Selector | SelectorList) -> str:
    """Text of block elements inside a node, one paragraph per block, blank line between."""
    blocks = node.css("p, h1, h2, h3, h4, li, td, div:not(:has(p, div, li))")
    parts = [text_of(b) for b in blocks] if blocks else [text_of(node)]
    return "\n\n".join(dict.fromkeys(p for p in parts if p))


def first(sel: Selector | SelectorList, query: str) -> str:
    """Text of the first node matching `query`, or ''."""
    found = sel.css(query)
    return text_of(found[0]) if found else ""
