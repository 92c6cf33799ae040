"""XML sitemaps and sitemap indexes, including Google News sitemaps."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from crawler.pages.dates import parse_date


@dataclass
class Sitemap:
    """Pages listed (url, lastmod or news date, news title) and child sitemaps."""

    pages: list[tuple[str, str | None, str]] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    problem: str | None = None


def parse_sitemap(body: bytes) -> Sitemap:
    """Parse a sitemap or sitemap index; a broken file yields what could be read."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        return Sitemap(problem=f"not a sitemap: {exc}")
    if root is None:
        return Sitemap(problem="not a sitemap: empty document")
    result = Sitemap()
    kind = etree.QName(root).localname
    for node in root:
        if not isinstance(node.tag, str):
            continue
        loc = _child_text(node, "loc")
        if not loc:
            continue
        if kind == "sitemapindex":
            result.children.append(loc)
        else:
            date = _child_text(node, "publication_date") or _child_text(node, "lastmod")
            result.pages.append((loc, parse_date(date), _child_text(node, "title")))
    if kind not in ("sitemapindex", "urlset"):
        result.problem = f"not a sitemap: root element <{kind}>"
    return result


def _child_text(node: etree._Element, name: str) -> str:
    for child in node.iter():
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return (child.text or "").strip()
    return ""
