"""`kuzet sources check`: fetch each source's entry page once; do its selectors still match?"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from crawler.pages import adilet, akorda, legalacts, parliament
from crawler.pages.feed import looks_like_feed, parse_feed
from crawler.pages.listing import parse_listing
from crawler.pages.sitemap import parse_sitemap
from kuzet.config import Source

MAX_BYTES = 5 * 1024 * 1024


@dataclass
class CheckResult:
    """What one source's entry page said."""

    source: str
    url: str
    answered: bool
    matched: bool
    detail: str


def entry_points(source: Source) -> list[tuple[str, str]]:
    """(method, URL) of the first feed, sitemap, listing or start page a crawl fetches."""
    methods = (
        ("feed", source.feeds),
        ("sitemap", source.sitemaps),
        ("listing", source.listing),
        (source.kind, source.start),
    )
    return [(method, urls[0]) for method, urls in methods if urls]


def check_source(source: Source, user_agent: str, proxy: str | None = None) -> list[CheckResult]:
    """Fetch each method's entry page once and apply the source's parser and selectors."""
    return [check_one(source, m, url, user_agent, proxy) for m, url in entry_points(source)]


def check_one(
    source: Source, method: str, url: str, user_agent: str, proxy: str | None
) -> CheckResult:
    """Fetch one entry page and count what the parser finds on it."""
    try:
        body, status = _fetch(url, user_agent, source.ca_cert, proxy)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return CheckResult(source.id, url, False, False, f"no answer: {reason}")
    if status >= 400:
        return CheckResult(source.id, url, True, False, f"HTTP {status}")
    found, what = _count(method, source, body, url)
    detail = f"HTTP {status}, {method}: {found} {what}"
    return CheckResult(source.id, url, True, found > 0, detail)


def _count(method: str, source: Source, body: bytes, url: str) -> tuple[int, str]:
    text = body.decode("utf-8", "replace")
    s = source.selectors
    if method == "feed":
        return (len(parse_feed(body, url).entries) if looks_like_feed(body) else 0), "entries"
    if method == "sitemap":
        sitemap = parse_sitemap(body)
        return len(sitemap.pages) + len(sitemap.children), "URLs"
    if method == "listing":
        return len(parse_listing(text, url, s).links), f"links match {s['link']!r}"
    if method == "adilet":
        return len(adilet.parse_index(body, url)[0].entries), "acts"
    if method == "legalacts":
        return len(legalacts.parse_list(text, url, s)[0]), f"drafts match {s['item']!r}"
    if method == "parliament":
        return len(parliament.parse_table(text, url, s)[0]), f"bills match {s['row']!r}"
    return len(akorda.parse_list(text, url, s)), f"acts match {s['item']!r}"


def _fetch(url: str, user_agent: str, ca_cert: str | None, proxy: str | None) -> tuple[bytes, int]:
    context = ssl.create_default_context()
    if ca_cert and Path(ca_cert).is_file():
        context.load_verify_locations(cafile=ca_cert)
    handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPSHandler(context=context)]
    if proxy:
        url = url.replace("https://", "http://", 1)
        handlers.append(urllib.request.ProxyHandler({"http": proxy}))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    try:
        with opener.open(request, timeout=20) as response:
            return response.read(MAX_BYTES), response.status
    except urllib.error.HTTPError as exc:
        return b"", exc.code
