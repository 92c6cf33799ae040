"""RSS and Atom feeds (feedparser), tolerant of truncation, entities and CDATA oddities."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import struct_time
from urllib.parse import urljoin

import feedparser

from crawler.pages.dates import parse_date

#: feedparser's complaints about headers rather than the feed itself.
_HARMLESS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


@dataclass
class FeedEntry:
    """One feed item: where the article is and what the feed says about it."""

    url: str
    title: str = ""
    published_at: str | None = None
    summary: str = ""


@dataclass
class Feed:
    """A parsed feed; `problem` is set when it was malformed (entries may still be there)."""

    entries: list[FeedEntry] = field(default_factory=list)
    title: str = ""
    description: str = ""
    problem: str | None = None


def looks_like_feed(body: bytes) -> bool:
    """True if the body starts like RSS, Atom or RDF rather than an HTML page."""
    head = body[:1000].lstrip().lower()
    return bool(re.search(rb"<(rss|feed|rdf:rdf)[\s>]", head)) or (
        head.startswith(b"<?xml") and b"<html" not in head
    )


def parse_feed(body: bytes, url: str, content_type: str = "application/xml") -> Feed:
    """Parse a feed body; relative links are resolved against `url`."""
    headers = {"content-location": url, "content-type": content_type}
    parsed = feedparser.parse(body, response_headers=headers)
    problem = None
    error = parsed.get("bozo_exception")
    if parsed.get("bozo") and not isinstance(error, _HARMLESS):
        problem = f"malformed feed: {error}"
    entries = [_entry(e, url) for e in parsed.entries]
    return Feed(
        entries=[e for e in entries if e.url],
        title=parsed.feed.get("title", ""),
        description=parsed.feed.get("subtitle", "") or parsed.feed.get("description", ""),
        problem=problem,
    )


def _entry(e: feedparser.FeedParserDict, base: str) -> FeedEntry:
    link = (e.get("link") or e.get("id") or "").strip()
    return FeedEntry(
        url=urljoin(base, link) if link else "",
        # Feeds that escape twice («&amp;amp;») leave entities in the decoded title.
        title=" ".join(html.unescape(e.get("title") or "").split()),
        published_at=_when(e),
        summary=e.get("summary", ""),
    )


def _when(e: feedparser.FeedParserDict) -> str | None:
    raw = e.get("published") or e.get("updated")
    parsed = parse_date(raw) if raw else None
    if parsed:
        return parsed
    stamp: struct_time | None = e.get("published_parsed") or e.get("updated_parsed")
    if stamp:
        return datetime(*stamp[:6], tzinfo=UTC).isoformat()
    return None
